from django.urls import path

from . import signup, views

app_name = "shop"

urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("cart/", views.cart_detail, name="cart"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/<str:code>/", views.order_confirmation, name="order_confirmation"),
    path("signup/", signup.signup, name="signup"),
    path("signup/code/", signup.signup_code, name="signup_code"),
    path("signup/resend/", signup.signup_resend, name="signup_resend"),
    path("signout/", signup.signout, name="signout"),
]
