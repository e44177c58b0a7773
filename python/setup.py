# Everything is in pyproject.toml except what depends on how the package is built:
# - from a checkout (`pip install ./python`), the installed package records where the repository
#   lies, so that it finds the library built there (../.build/release/libvtok_c.so). pip builds
#   local directories in place, so this file's own path is the checkout's.
# - for a wheel (make wheel, scripts/build-wheel.sh), vtok/_lib holds the library, its
#   libopenblas.so.0 and the shipped model: they go into the wheel, which then depends on
#   scipy-openblas32 (the OpenBLAS that libopenblas.so.0 forwards to) and records no checkout.
import os

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLED = os.path.exists(os.path.join(HERE, "vtok", "_lib", "libvtok_c.so"))


class BuildPyRecordingRepository(build_py):
    def run(self):
        super().run()
        if BUNDLED:
            return
        target = os.path.join(self.build_lib, "vtok", "_repository.py")
        with open(target, "w") as handle:
            handle.write("# Written by setup.py: the checkout this package was installed from.\n")
            handle.write(f"REPOSITORY = {os.path.dirname(HERE)!r}\n")


setup(
    cmdclass={"build_py": BuildPyRecordingRepository},
    install_requires=["numpy"] + (["scipy-openblas32"] if BUNDLED else []),
    package_data={"vtok": ["_lib/*.so*", "_lib/vtok_VTokModel.resources/*"]} if BUNDLED else {},
)
