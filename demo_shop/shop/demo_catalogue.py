"""What the demo shop sells and to whom: the seed data of ``demo_seed``.

Phones are written the way people type them, so the demo exercises zns_notify's
normalization. All are valid Vietnamese mobiles that the sandbox can reach: none ends in
000114/000118/000119 (the sandbox's unreachable numbers) and none is its development-mode
admin 0987 654 321.
"""

from __future__ import annotations

# (sku, name, price in VND)
PRODUCTS = [
    ("CF-G7-18", "Cà phê hòa tan G7 (hộp 18 gói)", 58_000),
    ("NM-PQ-500", "Nước mắm Phú Quốc 40 độ đạm 500ml", 95_000),
    ("TRA-ST-200", "Trà Shan Tuyết Hà Giang 200g", 180_000),
    ("NON-LA-HUE", "Nón lá bài thơ Huế", 120_000),
    ("AO-DAI-LUA", "Áo dài lụa tơ tằm Hà Đông", 1_250_000),
    ("GOM-BT-AM", "Bộ ấm chén gốm Bát Tràng", 450_000),
    ("BANH-PIA-4", "Bánh pía Sóc Trăng (hộp 4 cái)", 65_000),
    ("DIEU-BP-500", "Hạt điều rang muối Bình Phước 500g", 210_000),
]

# (full name, phone as typed)
CUSTOMERS = [
    ("Nguyễn Văn An", "0912 345 678"),
    ("Trần Thị Bích Ngọc", "0903.217.456"),
    ("Lê Hoàng Nam", "+84 938 112 233"),
    ("Phạm Minh Châu", "0868 204 517"),
    ("Hoàng Thị Thu Hà", "0977-305-628"),
    ("Vũ Đức Thắng", "0354 781 920"),
    ("Đặng Quỳnh Anh", "0789 456 123"),
    ("Bùi Thanh Tùng", "0916543210"),
    ("Đỗ Thị Mai Lan", "0833 672 145"),
    ("Ngô Quốc Bảo", "84 702 398 457"),
]

# Customers Zalo cannot reach: the sandbox answers -118 ("Zalo account not existed") for
# this number, so their shipped and delivered notices go out as SMS (the demo bindings'
# SMS fallback, docs/fallback.md). zns_demo never picks them: its check counts failed ZNS
# messages, and theirs fail by design; rundemo places one order for them.
NOT_ON_ZALO_CUSTOMERS = [
    ("Phan Thị Sương", "0999 000 118"),
]

ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"
