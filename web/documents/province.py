"""Downloads of the province documents (.docx, .xlsx): pages' buttons and the API."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
