"""A thumbnailer for a shop without product images (Oscar's default needs sorl-thumbnail)."""

from oscar.core.thumbnails import AbstractThumbnailer


class Unresized(AbstractThumbnailer):
    """The image itself, at its own size: Oscar's templates read only its ``url``."""

    def generate_thumbnail(self, source, **opts):
        return source

    def delete_thumbnails(self, source):
        pass
