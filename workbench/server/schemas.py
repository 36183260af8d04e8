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
Images are data URLs (data:image/png;base64,…); a null side is refused.
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


class RerankRequest(_In):
    """POST /v1/rerank, /rerank, /v2/rerank (vLLM, Jina, Cohere v1/v2)."""
    model: str | None = None
    query: Side
    documents: list[Side]
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


class ScoreRequest(_In):
    """POST /v1/score, /score (vLLM): text_1 (or queries) against text_2 (or documents), 1:N or N:N."""
    model: str | None = None
    text_1: Sides | None = None
    text_2: Sides | None = None
    queries: Sides | None = None
    documents: Sides | None = None
    instruction: str | None = None

    @model_validator(mode="after")
    def _both_sides(self):
        if self.text_1 is None and self.queries is None:
            raise ValueError("'text_1' (or 'queries') is required")
        if self.text_2 is None and self.documents is None:
            raise ValueError("'text_2' (or 'documents') is required")
        return self

    def sides(self) -> tuple[list, list]:
        t1 = self.text_1 if self.text_1 is not None else self.queries
        t2 = self.text_2 if self.text_2 is not None else self.documents
        return (t1 if isinstance(t1, list) else [t1]), (t2 if isinstance(t2, list) else [t2])


# ---- responses ----

class Usage(BaseModel):
    prompt_tokens: int = Field(description="tokens of every scored prompt (text and image tokens)")
    total_tokens: int
    documents: int | None = None


class RerankDocument(BaseModel):
    text: str
    multi_modal: Any = None


class RerankResult(BaseModel):
    index: int
    relevance_score: float
    document: RerankDocument | None = None


class RerankResponse(BaseModel):
    id: str
    model: str
    usage: Usage
    results: list[RerankResult]


class ScoreData(BaseModel):
    index: int
    object: Literal["score"] = "score"
    score: float


class ScoreResponse(BaseModel):
    id: str
    object: Literal["list"] = "list"
    model: str
    data: list[ScoreData]
    usage: Usage


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
    code: int


class ErrorBody(BaseModel):
    """Every error: OpenAI/vLLM's `error` object, FastAPI/Jina's `detail`, Cohere's `message`."""
    error: ErrorInfo
    detail: str
    message: str
    errors: list[dict[str, Any]] | None = None
