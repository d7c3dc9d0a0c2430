from django.urls import path

from apforms.web.views import archive, audit_log, auth, bulk, records, returns, two_factor, users

urlpatterns = [
    path("", records.home, name="home"),
    path("sign-in", auth.sign_in, name="sign-in"),
    path("sign-out", auth.sign_out, name="sign-out"),
    path("password", auth.password, name="password"),
    path("two-factor", two_factor.verify, name="two-factor"),
    path("two-factor/setup", two_factor.setup, name="two-factor-setup"),
    path("account", two_factor.account, name="account"),
    path("records/new", records.new, name="new"),
    path("records/<uuid:record_id>", records.show, name="record"),
    path("records/<uuid:record_id>/page/<int:page>", records.edit, name="edit"),
    path("records/<uuid:record_id>/download/<str:kind>", records.download, name="download"),
    path("records/<uuid:record_id>/start/<str:doc>", records.start, name="start"),
    path("blank", records.blanks, name="blanks"),
    path("blank/<str:doc>.<str:fmt>", records.blank, name="blank"),
    path("returns/upload", returns.upload, name="return-upload"),
    path("returns/<uuid:return_id>", returns.review, name="return"),
    path("returns/<uuid:return_id>/accept", returns.accept, name="return-accept"),
    path("users", users.users, name="users"),
    *bulk.urlpatterns,
    *archive.urlpatterns,
    *audit_log.urlpatterns,
]

handler404 = "apforms.web.views.errors.not_found"
handler500 = "apforms.web.views.errors.server_error"
handler400 = "apforms.web.views.errors.bad_request"
handler403 = "apforms.web.views.errors.forbidden"
