// The training loop lands here.
