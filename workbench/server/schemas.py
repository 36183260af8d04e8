"""Request and response models of `workbench serve` (pydantic, validated by FastAPI).

Every shape the server accepted before stays accepted (vLLM / Jina / Cohere v1 and v2 rerank,
vLLM score); a wrong type is a 422 that names the field. Options of those APIs that this server
does not use (`max_chunks_per_doc`, `rank_fields`, `truncate_prompt_tokens`, …) are ignored.

A query or document ("side") is one of:
  "text"                                           a string
  [part, …]                                        content parts: strings, {"type": "text", "text"},
                                                   {"type": "image_url", "image_url": {"url"} | "url"}
                                                   ({"type": "image", "image": …} too)
  {"content": "text" | [part, …]}                  vLLM's multimodal shape
  {"text"?, "image"? | "image_url"?}               Jina / Cohere v1 objects (at least one of them)
Images are data URLs (data:image/png;base64,…) or raw base64 (Jina's {"image": "<base64>"});
a null side is refused. `documents` may also be vLLM's single dict {"content": [part, …]}: one
document (as vLLM 0.32 reads it). /score takes vLLM's data_1/data_2 (also text_1/text_2, queries/documents,
queries/items).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

# Tags of the unions below appear in pydantic's error locations; they start with "<" so that
# the error messages can leave them out (see app._field_name).
TAG = "<"


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ImageURL(_In):
    url: str


ImageRef = str | ImageURL


class TextPart(_In):
    type: Literal["text"]
    text: str = ""


class ImagePart(_In):
    type: Literal["image_url", "image"]
    image_url: ImageRef | None = None
    image: ImageRef | None = None

    @model_validator(mode="after")
    def _has_image(self):
        if self.image_url is None and self.image is None:
            raise ValueError("an image part needs 'image_url': {\"url\": \"data:image/...;base64,...\"}")
        return self

    def url(self) -> str:
        ref = self.image_url if self.image_url is not None else self.image
        return ref.url if isinstance(ref, ImageURL) else ref


def _part_tag(v: Any) -> str | None:
    if isinstance(v, str):
        return "<string>"
    kind = v.get("type") if isinstance(v, dict) else getattr(v, "type", None)
    if kind == "text":
        return "<text part>"
    if kind in ("image_url", "image"):
        return "<image part>"
    return None


Part = Annotated[
    Annotated[str, Tag("<string>")] | Annotated[TextPart, Tag("<text part>")] | Annotated[ImagePart, Tag("<image part>")],
    Discriminator(_part_tag, custom_error_type="content_part",
                  custom_error_message="a content part must be a string, {\"type\": \"text\", \"text\": ...} or "
                                       "{\"type\": \"image_url\", \"image_url\": {\"url\": \"data:...\"}}")]


def _content_tag(v: Any) -> str | None:
    return "<string>" if isinstance(v, str) else "<parts>" if isinstance(v, list) else None


class ContentSide(_In):
    content: Annotated[Annotated[str, Tag("<string>")] | Annotated[list[Part], Tag("<parts>")],
                       Discriminator(_content_tag, custom_error_type="content",
                                     custom_error_message="must be a string or a list of content parts")]


class FieldsSide(_In):
    text: str | None = None
    image: ImageRef | None = None
    image_url: ImageRef | None = None

    @model_validator(mode="after")
    def _not_empty(self):
        if self.text is None and self.image is None and self.image_url is None:
            raise ValueError("an object needs 'text', 'image' or 'content'")
        return self

    def url(self) -> str | None:
        ref = self.image if self.image is not None else self.image_url
        return ref.url if isinstance(ref, ImageURL) else ref


def _side_tag(v: Any) -> str | None:
    if isinstance(v, str):
        return "<string>"
    if isinstance(v, list):
        return "<parts>"
    if isinstance(v, dict):
        return "<content>" if "content" in v else "<object>"
    if isinstance(v, ContentSide):
        return "<content>"
    if isinstance(v, FieldsSide):
        return "<object>"
    return None


SIDE_SHAPES = ("a string, a list of content parts, {\"content\": ...} or {\"text\": ..., \"image\": "
               "\"data:image/...;base64,...\"}")

Side = Annotated[
    Annotated[str, Tag("<string>")] | Annotated[list[Part], Tag("<parts>")] | Annotated[ContentSide, Tag("<content>")] | Annotated[FieldsSide, Tag("<object>")],
    Discriminator(_side_tag, custom_error_type="side", custom_error_message=f"must be {SIDE_SHAPES}")]


def _many_tag(v: Any) -> str:
    return "<list>" if isinstance(v, list) else "<one>"


# /score's text_1 / text_2: one side, or a list of sides (a list is always a list of items)
Sides = Annotated[Annotated[Side, Tag("<one>")] | Annotated[list[Side], Tag("<list>")],
                  Discriminator(_many_tag)]


def _docs_tag(v: Any) -> str | None:
    if isinstance(v, list):
        return "<list>"
    if isinstance(v, (dict, ContentSide)):
        return "<content>"
    return None


# documents: a list of sides, or vLLM's single {"content": [part, ...]} (one document)
Documents = Annotated[Annotated[list[Side], Tag("<list>")] | Annotated[ContentSide, Tag("<content>")],
                      Discriminator(_docs_tag, custom_error_type="documents",
                                    custom_error_message="must be a list of documents or {\"content\": [part, ...]}")]


def split_documents(value: Any) -> list:
    """The documents of a request as a list: vLLM's single {"content": [parts]} is one document
    (vLLM 0.32's validate_score_input wraps a non-list side in a list)."""
    if isinstance(value, ContentSide):
        return [value]
    return list(value)


class RerankRequest(_In):
    """POST /v1/rerank, /rerank, /v2/rerank (vLLM, Jina, Cohere v1/v2)."""
    model: str | None = None
    query: Side
    documents: Documents
    instruction: str | None = None
    chat_template_kwargs: dict[str, Any] | None = None
    top_n: int | None = Field(None, description="best N results (none or <= 0: all)")
    return_documents: bool = True

    @model_validator(mode="after")
    def _instruction_is_text(self):
        value = (self.chat_template_kwargs or {}).get("instruction")
        if value is not None and not isinstance(value, str):
            raise ValueError("chat_template_kwargs.instruction must be a string")
        return self

    def instruction_text(self) -> str:
        return self.instruction or (self.chat_template_kwargs or {}).get("instruction") or ""


# vLLM's pairs of names for the two sides of /score, in the order vLLM tries them
SCORE_FIELDS = (("queries", "documents"), ("queries", "items"), ("data_1", "data_2"), ("text_1", "text_2"))


class ScoreRequest(_In):
    """POST /v1/score, /score (vLLM): data_1 against data_2 (or text_1/text_2, queries/documents,
    queries/items), 1:1, 1:N or N:N. A side is one item or a list of items."""
    model: str | None = None
    data_1: Sides | None = None
    data_2: Sides | None = None
    text_1: Sides | None = None
    text_2: Sides | None = None
    queries: Sides | None = None
    documents: Sides | None = None
    items: Sides | None = None
    instruction: str | None = None

    @model_validator(mode="after")
    def _both_sides(self):
        if self.fields() is None:
            raise ValueError("send 'data_1' and 'data_2' (or 'text_1'/'text_2', 'queries'/'documents')")
        return self

    def fields(self) -> tuple[str, str] | None:
        for a, b in SCORE_FIELDS:
            if getattr(self, a) is not None and getattr(self, b) is not None:
                return a, b
        return None

    def sides(self) -> tuple[list, list]:
        a, b = self.fields()
        return _as_list(getattr(self, a)), _as_list(getattr(self, b))


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


# ---- responses ----

class Usage(BaseModel):
    prompt_tokens: int = Field(description="tokens of every scored prompt (text and image tokens)")
    total_tokens: int
    documents: int | None = None


class ApiVersion(BaseModel):
    version: str


class BilledUnits(BaseModel):
    search_units: int
    input_tokens: int


class Meta(BaseModel):
    """Cohere's `meta` (rerank routes)."""
    api_version: ApiVersion
    billed_units: BilledUnits
    warnings: list[str] | None = None


class RerankDocument(BaseModel):
    text: str
    multi_modal: Any = None


class RerankResult(BaseModel):
    index: int
    relevance_score: float
    document: RerankDocument | None = None
    truncated: bool | None = Field(None, description="true when the document text was cut to fit the model's "
                                                     "token limit (absent otherwise)")


class RerankResponse(BaseModel):
    id: str
    model: str
    usage: Usage
    results: list[RerankResult]
    meta: Meta | None = None
    warnings: list[str] | None = None


class ScoreData(BaseModel):
    index: int
    object: Literal["score"] = "score"
    score: float
    truncated: bool | None = None


class ScoreResponse(BaseModel):
    id: str
    object: Literal["list"] = "list"
    created: int | None = None
    model: str
    data: list[ScoreData]
    usage: Usage
    warnings: list[str] | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    owned_by: str = "workbench"
    root: str
    backend: str


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class Health(BaseModel):
    status: str
    model: str | None = None
    batching: dict[str, int] | None = None


class ErrorInfo(BaseModel):
    message: str
    type: str
    param: str | None = None
    code: int


class ErrorBody(BaseModel):
    """Every error: OpenAI/vLLM's `error` object, FastAPI/Jina's `detail`, Cohere's `message`."""
    error: ErrorInfo
    detail: str
    message: str
    errors: list[dict[str, Any]] | None = None
