"""reviewkit's built-in reviewers. Each module is a plugin registered through the ``reviewkit``
entry-point group, exactly as a third-party plugin would be; none reaches into reviewkit's internals."""
