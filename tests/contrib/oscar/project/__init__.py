"""A django-oscar 4.2 shop as Oscar's "Building your own shop" guide sets one up, with
zns_notify added by docs/oscar.md's code blocks (:mod:`.page`): ``settings``, ``urls``
and the forked ``checkout`` app run the page's code itself."""
