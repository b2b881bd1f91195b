"""tinyinit's tests: a package, so that its conftest does not take the place of
support/testing/conftest.py as the module `conftest`."""
