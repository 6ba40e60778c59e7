"""Request parameters as Mastodon apps send them: query string, form, multipart or JSON.

Apps mix all four (Ice Cubes registers with query parameters, Elk posts JSON, Tusky
posts forms), and Rails-style names (`media_ids[]`, `poll[options][]`,
`fields_attributes[0][name]`). Everything is read into one map of flat names, JSON
included, so a handler asks for `media_ids` and gets the list however it came.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request

from server.text import clean

Value = str | UploadFile


_TRUE = {"true", "1", "on", "yes", "t"}
_FALSE = {"false", "0", "off", "no", "f", ""}


@dataclass
class Params:
    values: dict[str, list[Value]] = field(default_factory=dict)
    _form: FormData | None = None

    async def close(self) -> None:
        """Close uploaded files' temporary storage."""
        if self._form is not None:
            await self._form.close()

    @classmethod
    async def read(cls, request: Request) -> Params:
        params = cls()
        for key, value in request.query_params.multi_items():
            params._add(key, value)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return params
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            limit = request.app.state.settings.max_upload_bytes
            form = await request.form(max_part_size=limit)
            params._form = form
            for key, item in form.multi_items():
                params._add(key, item)
            return params
        body = await request.body()
        if not body.strip():
            return params
        if kind == "application/json" or kind.endswith("+json") or body.lstrip()[:1] == b"{":
            params._read_json(body)
        elif not kind:
            # Some apps send a form without saying so (Mastodon reads it all the same).
            for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
                params._add(key, value)
        return params

    def _read_json(self, body: bytes) -> None:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HTTPException(400, f"The request body is not valid JSON: {exc}") from exc
        except RecursionError:
            raise HTTPException(400, "The request body is nested too deeply.") from None
        if not isinstance(data, dict):
            raise HTTPException(422, "The JSON body must be an object.")
        try:
            self._flatten("", data)
        except RecursionError:
            raise HTTPException(400, "The request body is nested too deeply.") from None

    def _add(self, key: str, value: Value) -> None:
        self.values.setdefault(clean(key), []).append(
            clean(value) if isinstance(value, str) else value
        )

    def _flatten(self, prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                self._flatten(f"{prefix}[{key}]" if prefix else str(key), inner)
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                self.values.setdefault(clean(f"{prefix}[]"), []).extend(
                    clean(_scalar(v)) for v in value
                )
            else:
                for index, inner in enumerate(value):
                    self._flatten(f"{prefix}[{index}]", inner)
        elif value is not None:
            self._add(prefix, _scalar(value))  # _add cleans it

    def has(self, name: str) -> bool:
        return name in self.values or f"{name}[]" in self.values

    def text(self, name: str, default: str | None = None) -> str | None:
        """The parameter's text; an upload where text belongs is refused."""
        found = self.values.get(name)
        if not found:
            return default
        value = found[0]
        if not isinstance(value, str):
            raise HTTPException(422, f"{name} must be text, not a file.")
        return value

    def texts(self, name: str) -> list[str]:
        """A list parameter: `name[]` repeated, `name` repeated, or a JSON array."""
        found = self.values.get(f"{name}[]", []) + self.values.get(name, [])
        return [v for v in found if isinstance(v, str)]

    def flag(self, name: str, default: bool = False) -> bool:
        raw = self.text(name)
        if raw is None:
            return default
        lowered = raw.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise HTTPException(422, f"{name} must be true or false.")

    def number(self, name: str, default: int | None = None) -> int | None:
        raw = self.text(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            return int(raw.strip())
        except ValueError:
            raise HTTPException(422, f"{name} must be a whole number.") from None

    def file(self, name: str) -> UploadFile | None:
        found = self.values.get(name)
        if found and isinstance(found[0], UploadFile):
            return found[0]
        return None

    def indexed(self, name: str) -> list[dict[str, str]]:
        """`name[0][key]` (or `name[][key]` in order) as a list of small maps."""
        groups: dict[str, dict[str, str]] = {}
        head = f"{name}["
        for key, values in self.values.items():
            if not key.startswith(head) or not key.endswith("]") or "][" not in key:
                continue
            index, _, inner = key[len(head) : -1].partition("][")
            for position, value in enumerate(values):
                if isinstance(value, str):
                    slot = index if index else str(position)
                    groups.setdefault(slot, {})[inner] = value
        return [groups[k] for k in sorted(groups, key=lambda k: (len(k), k))]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
