from oscar.apps.checkout import apps


class CheckoutConfig(apps.CheckoutConfig):
    name = "tests.contrib.oscar.project.checkout"
