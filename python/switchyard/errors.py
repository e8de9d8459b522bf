"""Python exceptions for C statuses: each carries the status and the C library's message."""


class SwitchyardError(RuntimeError):
    """A C call failed. `status` is the sy_status name ("SY_ERR_SHAPE"), str() the message."""

    def __init__(self, status: str, message: str):
        super().__init__(f"{status}: {message}" if message else status)
        self.status = status
        self.message = message


class ExportError(SwitchyardError):
    """The exporter cannot turn a torch program into a Switchyard program (what and where)."""

    def __init__(self, message: str):
        super().__init__("export", message)


def check(status: int) -> None:
    """Raises SwitchyardError with sy_last_error() when `status` is not SY_OK."""
    if status != 0:
        from . import _lib
        name = _lib.STATUS_NAMES.get(status, f"status {status}")
        msg = _lib.lib().sy_last_error().decode("utf-8", "replace")
        raise SwitchyardError(name, msg)
