"""The web app's Django settings, made for one data folder (``web.configure``).

Everything lives in the data folder: the SQLite database, the archive, the secret key (made
on first run, mode 0600); the database moves to a PostgreSQL server when
``APFORMS_DATABASE_URL`` names one (:mod:`apforms.database`). Cookies are HttpOnly and
SameSite; behind HTTPS (``--behind-https``) they are Secure and HSTS is sent; served plain on
loopback they cannot be Secure.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from apforms.database import configured

#: Idle time after which a session ends (a shared office computer left signed in).
SESSION_MINUTES = 30
#: The largest upload (a return, a signed copy, a spreadsheet), as the CLI reads at most.
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def secret_key(data: Path) -> str:
    """The data folder's secret key, made once (never in the code, never in a repository)."""
    path = data / "secret.key"
    if not path.exists():
        fd = path.open("x", encoding="ascii")
        path.chmod(0o600)
        with fd:
            fd.write(secrets.token_urlsafe(50))
    return path.read_text(encoding="ascii").strip()


def database(data: Path) -> dict[str, Any]:
    """The web app's database: PostgreSQL when ``APFORMS_DATABASE_URL`` names one (a council
    team's shared server), else SQLite in the data folder (WAL; writers take turns at once)."""
    target = configured()
    if target is None:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(data / "web.sqlite3"),
            "OPTIONS": {
                "timeout": 20,
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL;",
            },
        }
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": target.name,
        "USER": target.user,
        "PASSWORD": target.password,
        "HOST": target.host,
        "PORT": str(target.port or ""),
        "OPTIONS": target.options,
        # one connection per server thread, kept between requests and checked before reuse
        "CONN_MAX_AGE": 300,
        "CONN_HEALTH_CHECKS": True,
    }


def settings_for(data: Path, behind_https: bool = False, hosts: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "DEBUG": False,
        "SECRET_KEY": secret_key(data),
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost", "[::1]", *hosts],
        "INSTALLED_APPS": [
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "django.contrib.staticfiles",
            "django_otp",
            "django_otp.plugins.otp_totp",
            "apforms.web.apps.WebConfig",
        ],
        "MIDDLEWARE": [
            "django.middleware.security.SecurityMiddleware",
            "whitenoise.middleware.WhiteNoiseMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django_otp.middleware.OTPMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
            "apforms.web.access.SignedInMiddleware",
        ],
        "ROOT_URLCONF": "apforms.web.urls",
        "TEMPLATES": [
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                        "apforms.web.access.context",
                    ],
                    "string_if_invalid": "",
                },
            }
        ],
        "DATABASES": {"default": database(data)},
        "DEFAULT_AUTO_FIELD": "django.db.models.BigAutoField",
        "AUTH_PASSWORD_VALIDATORS": [
            {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
            {
                "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
                "OPTIONS": {"min_length": 12},
            },
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
        "LANGUAGE_CODE": "en-gb",
        "TIME_ZONE": "Europe/London",
        "USE_TZ": True,
        "STATIC_URL": "/static/",
        "WHITENOISE_USE_FINDERS": True,
        "WHITENOISE_AUTOREFRESH": False,
        "LOGIN_URL": "/sign-in",
        # Two-factor sign-in (TOTP): the app named in the authenticator; wrong codes are counted
        # with wrong passwords by the app's own throttle (``accounts``), so django-otp's own
        # growing delay (which would also refuse the right code for a while) is off.
        "OTP_TOTP_ISSUER": "apforms",
        "OTP_TOTP_THROTTLE_FACTOR": 0,
        "SESSION_COOKIE_AGE": SESSION_MINUTES * 60,
        "SESSION_SAVE_EVERY_REQUEST": True,
        "SESSION_EXPIRE_AT_BROWSER_CLOSE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": behind_https,
        "CSRF_COOKIE_SECURE": behind_https,
        "CSRF_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
        "CSRF_FAILURE_VIEW": "apforms.web.views.errors.csrf_failure",
        "SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https") if behind_https else None,
        "SECURE_SSL_REDIRECT": behind_https,
        "SECURE_HSTS_SECONDS": 31536000 if behind_https else 0,
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "X_FRAME_OPTIONS": "DENY",
        "DATA_UPLOAD_MAX_MEMORY_SIZE": 5 * 1024 * 1024,
        "DATA_UPLOAD_MAX_NUMBER_FIELDS": 20_000,
        "FILE_UPLOAD_MAX_MEMORY_SIZE": 5 * 1024 * 1024,
        "FILE_UPLOAD_TEMP_DIR": str(data / "uploads"),
        "FILE_UPLOAD_PERMISSIONS": 0o600,
        "APFORMS_DATA": data,
        # No record content in logs: errors name the view, never a posted value.
        "LOGGING": {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"console": {"class": "logging.StreamHandler"}},
            "loggers": {"django": {"handlers": ["console"], "level": "WARNING"}},
        },
    }
