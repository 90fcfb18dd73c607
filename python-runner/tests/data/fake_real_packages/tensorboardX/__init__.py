"""FAKE real tensorboardX (a test fixture, see ../README.md)."""
from .writer import SummaryWriter  # noqa: F401

__version__ = "2.6.fake-real"
