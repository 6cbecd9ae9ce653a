"""The app factory: settings in, a FastAPI app with pages, the JSON API and sessions out."""

from __future__ import annotations

import gc
from importlib.resources import files
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import models.all_tables  # noqa: F401  (every table is known before the first query)
from config.settings import Settings
from models.db import is_busy_error, make_engine
from models.tables import utcnow
from models.vn_format import vn_number as shared_vn_number
from web import (
    activities_api,
    activities_pages,
    api,
    dashboard_pages,
    health,
    inspections_api,
    inspections_pages,
    iso as iso_web,
    log_pages,
    pages,
    procedures_api,
    procedures_pages,
    profile_api,
    profile_pages,
    reporting_api,
    reporting_pages,
    scores_api,
    scores_pages,
)
from web.deps import Clock, LoginRequired
from web.documents import agency as agency_documents, province as province_documents
from web.headers import SecurityHeaders, swagger_csp
from web.pages import has_control, has_surrogate

WEB_DIR = Path(__file__).resolve().parent
# Swagger UI's bundle, stylesheet and icon, as the fastapi-offline package ships them.
SWAGGER_DIR = Path(str(files("fastapi_offline") / "static"))
DOCS_PATH = "/api/docs"
SESSION_MAX_AGE = 8 * 3600  # a working day
RETRY_AFTER_S = 5
BUSY_MESSAGE = (
    "Hệ thống đang bận ghi dữ liệu (chẳng hạn đang mở chu kỳ cho cả tỉnh) nên chưa lưu được "
    "thay đổi của bạn. Xin vui lòng thử lại sau ít giây."
)


def vn_date(value: object) -> str:
    return value.strftime("%d/%m/%Y") if hasattr(value, "strftime") else ""


def vn_number(value: object, digits: int = 10, group: bool = True) -> str:
    """A number as Vietnamese write it (models/vn_format.py): "10.000.000", "98,7", "98".

    A form field's value passes group=False: the forms read "1.234" as a decimal point, like
    "1,234", so a value shown again in a form saves unchanged.
    """
    return shared_vn_number(value, digits, group=group)


def vn_datetime(value: object, settings: Settings) -> str:
    from datetime import datetime

    if not isinstance(value, datetime):
        return ""
    return value.astimezone(settings.zone).strftime("%d/%m/%Y %H:%M")


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


UNPRINTABLE = "Không có trang này: địa chỉ có ký tự điều khiển (không in được), xin kiểm tra lại."


def printable_address(request: Request) -> None:
    """Answer 404 to a path with a control character, or a query with a NUL, before any lookup."""
    # No code, number or name has either, and PostgreSQL refuses a NUL even as a query's
    # parameter, so each lookup would otherwise have to guard itself. A tab pasted into the
    # search box is only white space, and is let through.
    query = [*request.query_params.keys(), *request.query_params.values()]
    if has_control(request.scope["path"]) or any(_unstorable(text) for text in query):
        raise HTTPException(404, UNPRINTABLE)


def _unstorable(text: str) -> bool:
    return "\x00" in text or has_surrogate(text)


def settle_heap() -> None:
    """Move the objects alive after start-up out of the garbage collector's reach.

    Without it a full collection, which walks every module, model and template, lands on
    roughly one request in five and adds about 100 ms to it (measured by bench/web.py).
    """
    gc.collect()
    gc.freeze()


def create_app(settings: Settings, clock: Clock = utcnow) -> FastAPI:
    """Return the web app for these settings; `clock` gives the current UTC instant."""
    app = FastAPI(
        title="isocycle API",
        version="1.0",
        description="The yearly TCVN ISO 9001 cycle of a province's agencies.",
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # our own /api/docs below, on local files
        redoc_url=None,
        dependencies=[Depends(printable_address)],
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url, busy_timeout=settings.web_busy_timeout)
    app.state.clock = clock
    # Autoescape is on for every template: agency names and notes are user input.
    env = Environment(loader=PackageLoader("web", "templates"), autoescape=True)
    env.filters["vn_date"] = vn_date
    env.filters["vn_number"] = vn_number
    env.filters["vn_datetime"] = lambda v: vn_datetime(v, settings)
    app.state.templates = Jinja2Templates(env=env)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key.get_secret_value(),
        session_cookie="isocycle_session",
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.base_url.startswith("https://"),
    )
    app.include_router(health.router)
    app.include_router(api.router)
    app.include_router(iso_web.api_router)
    app.include_router(profile_api.router)
    app.include_router(scores_api.router)
    app.include_router(scores_pages.router)
    app.include_router(profile_pages.router)
    app.include_router(inspections_api.router)
    app.include_router(inspections_pages.router)
    app.include_router(procedures_api.router)
    app.include_router(procedures_pages.router)
    app.include_router(activities_api.router)
    app.include_router(activities_pages.router)
    app.include_router(reporting_api.router)
    app.include_router(reporting_pages.router)
    app.include_router(agency_documents.router)
    app.include_router(province_documents.router)
    app.include_router(iso_web.pages_router)
    app.include_router(log_pages.router)
    app.include_router(dashboard_pages.router)
    app.include_router(pages.router)
    app.mount("/static/swagger", StaticFiles(directory=SWAGGER_DIR), name="swagger")
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")

    # The API's Swagger UI; every file it loads comes from this server. Built once, so the
    # hash of its inline script in its own CSP is known.
    docs_page = get_swagger_ui_html(
        openapi_url=app.openapi_url or "",
        title=f"{app.title} · Swagger UI",
        swagger_js_url="/static/swagger/swagger-ui-bundle.js",
        swagger_css_url="/static/swagger/swagger-ui.css",
        swagger_favicon_url="/static/swagger/favicon.png",
        # No badge from the public validator: the page reaches nothing beyond this server.
        swagger_ui_parameters={"validatorUrl": None},
    )

    @app.get(DOCS_PATH, include_in_schema=False)
    def _api_docs() -> HTMLResponse:
        return HTMLResponse(docs_page.body)

    app.add_middleware(
        SecurityHeaders, policies={DOCS_PATH: swagger_csp(bytes(docs_page.body).decode())}
    )
    if settings.trusted_proxy_list:
        # Outermost, so the throttle, the HSTS header and the cookies see the visitor's address
        # and scheme. Only these proxies' X-Forwarded-* are believed; anyone else could forge
        # them to dodge the login throttle.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}", 303)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = jsonable_encoder(exc.errors(), custom_encoder={Exception: str})
        message = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in errors
        )
        if _is_api(request):
            return JSONResponse({"detail": message, "errors": errors}, status_code=422)
        return _error_page(request, 422, _invalid_vi(errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request) or exc.status_code in (401, 405) and not exc.detail:
            body = {"detail": exc.detail}
            if getattr(exc, "errors", None):  # an ISO refusal lists each field (web/iso)
                body["errors"] = exc.errors  # type: ignore[attr-defined]
            return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)
        return _error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(OperationalError)
    async def _busy(request: Request, exc: OperationalError) -> Response:
        # The request's session was closed, rolling back, when the error left the endpoint.
        if not is_busy_error(exc):
            raise exc  # any other database failure stays a 500, logged with its traceback
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        if _is_api(request):
            return JSONResponse({"detail": BUSY_MESSAGE}, status_code=503, headers=headers)
        return _error_page(request, 503, BUSY_MESSAGE, headers)

    return app


# The parameters of the pages' addresses and forms, as a person would name them.
PAGE_PARAMS = {
    "year": "Năm",
    "code": "Mã đơn vị",
    "key": "Bước",
    "number": "Số thứ tự",
    "sort": "Cách sắp xếp",
    "kind": "Loại đơn vị",
    "page": "Trang",
    "q": "Từ khoá tìm kiếm",
}


def _invalid_vi(errors: list[dict[str, Any]]) -> str:
    """A page's refused address or form in Vietnamese, naming each value, never pydantic's words."""
    parts = []
    for e in errors:
        name = next((str(p) for p in reversed(e.get("loc", ())) if isinstance(p, str)), "")
        label = PAGE_PARAMS.get(name, "Một giá trị trong địa chỉ hoặc biểu mẫu")
        bounds = e.get("ctx") or {}
        span = (
            f" (nhỏ nhất là {bounds['ge']})"
            if "ge" in bounds
            else f" (lớn nhất là {bounds['le']})"
            if "le" in bounds
            else ""
        )
        parts.append(f"{label} không hợp lệ{span}.")
    return "Dữ liệu không hợp lệ: " + " ".join(dict.fromkeys(parts))


ERROR_TITLES = {
    403: "Không có quyền truy cập",
    404: "Không tìm thấy",
    422: "Dữ liệu không hợp lệ",
    503: "Hệ thống đang bận",
}


def _error_page(
    request: Request, status: int, message: str, headers: dict[str, str] | None = None
) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(
        request,
        "error.html",
        {
            "status": status,
            "title": ERROR_TITLES.get(status, "Lỗi"),
            "message": message,
            "viewer": None,
            "csrf_token": "",
            "flash": None,
            "user_feed_url": None,
            "role_labels": pages.ROLE_LABELS,
        },
        status_code=status,
        headers=headers,
    )
