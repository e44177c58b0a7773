# Everything is in pyproject.toml except one step: the installed package records where the
# repository it was installed from lies, so that it finds the library built there
# (../.build/release/libvtok_c.so) after `pip install ./python`. pip builds local directories in
# place, so this file's own path is the checkout's.
import os

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyRecordingRepository(build_py):
    def run(self):
        super().run()
        repository = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        target = os.path.join(self.build_lib, "vtok", "_repository.py")
        with open(target, "w") as handle:
            handle.write("# Written by setup.py: the checkout this package was installed from.\n")
            handle.write(f"REPOSITORY = {repository!r}\n")


setup(cmdclass={"build_py": BuildPyRecordingRepository})
