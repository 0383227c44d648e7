"""SMS providers: one module each, all subclasses of :class:`~.base.SmsProvider`."""
