from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path, re_path
from django.views.generic import RedirectView

from dashboard import health
from dashboard.api import api
from dashboard.views import activity, calls, customers, documents, home, notes, send

admin.site.site_header = "Customer dashboard admin"
admin.site.site_title = "Customer dashboard admin"
admin.site.index_title = "Conductor keys and companies"
# The sidebar repeats the index and takes a fifth of a laptop screen from the lists.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", home.home, name="home"),
    path("call/", calls.incoming_call, name="incoming_call"),
    path("api/v1/", api.urls),
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", home.favicon),
    path("readyz", health.readyz, name="readyz"),
    path("end-users/<str:conductor_id>/customers/", customers.customer_list, name="company"),
    path("end-users/<str:conductor_id>/jump/", customers.jump, name="jump"),
    path("end-users/<str:conductor_id>/customers/<str:customer_id>/", customers.customer, name="customer"),
    path(
        "end-users/<str:conductor_id>/customers/<str:customer_id>/check/",
        customers.customer_check,
        name="customer_check",
    ),
    path(
        "end-users/<str:conductor_id>/customers/<str:customer_id>/account/",
        activity.customer_account,
        name="customer_account",
    ),
    path(
        "end-users/<str:conductor_id>/customers/<str:customer_id>/activity/",
        activity.customer_history,
        name="customer_history",
    ),
    path("end-users/<str:conductor_id>/customers/<str:customer_id>/notes/", notes.add_note, name="add_note"),
    path(
        "end-users/<str:conductor_id>/customers/<str:customer_id>/statement/email/",
        send.email_statement,
        name="email_statement",
    ),
    path("end-users/<str:conductor_id>/notes/<str:note_id>/edit/", notes.edit_note, name="edit_note"),
    path("end-users/<str:conductor_id>/notes/<str:note_id>/delete/", notes.delete_note, name="delete_note"),
    path("end-users/<str:conductor_id>/invoices/<str:txn_id>/", documents.invoice, name="invoice"),
    path("end-users/<str:conductor_id>/payments/<str:txn_id>/", documents.payment, name="payment"),
    path("end-users/<str:conductor_id>/credit-memos/<str:txn_id>/", documents.credit_memo, name="credit_memo"),
    path("end-users/<str:conductor_id>/sales-receipts/<str:txn_id>/", documents.sales_receipt, name="sales_receipt"),
    path(
        "end-users/<str:conductor_id>/invoices/<str:txn_id>/email/",
        send.email_document,
        {"kind": "invoice"},
        name="email_invoice",
    ),
    path(
        "end-users/<str:conductor_id>/credit-memos/<str:txn_id>/email/",
        send.email_document,
        {"kind": "credit_memo"},
        name="email_credit_memo",
    ),
    path(
        "end-users/<str:conductor_id>/sales-receipts/<str:txn_id>/email/",
        send.email_document,
        {"kind": "sales_receipt"},
        name="email_sales_receipt",
    ),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Admin's company pages lived under enduser/ before the model was named Company.
    re_path(
        r"^admin/dashboard/enduser/(?P<rest>.*)$",
        RedirectView.as_view(url="/admin/dashboard/company/%(rest)s", permanent=True, query_string=True),
    ),
    path("admin/", admin.site.urls),
]
