"""CSV import for the admin: rows become the same dicts the API takes, validated by the same services."""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from experience.services import MAX_ROWS, feedback_ingest, survey_responses_ingest
from experience.services.intake import FEEDBACK_FIELDS, SURVEY_FIELDS

MAX_BYTES = 10 * 1024 * 1024


@dataclass
class ImportSpec:
    label: str
    model: str
    permission: str
    fields: set[str]
    ingest: Callable


IMPORTS = {
    "survey-responses": ImportSpec("survey responses", "surveyresponse", "experience.add_surveyresponse",
                                   SURVEY_FIELDS, survey_responses_ingest),
    "feedback": ImportSpec("feedback", "feedbackitem", "experience.add_feedbackitem", FEEDBACK_FIELDS,
                           feedback_ingest),
}


def read_csv(upload, spec: ImportSpec) -> list[dict]:
    """The file's rows as dicts (empty cells dropped); a bad file is a ValidationError naming the problem."""
    if upload.size > MAX_BYTES:
        raise ValidationError(f"The file is larger than {MAX_BYTES // 1024 // 1024} MB.")
    try:
        text = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("The file is not UTF-8 text.") from None
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    unknown = [name for name in header if name not in spec.fields]
    if unknown:
        raise ValidationError(f"Unknown columns: {', '.join(unknown)} (known: {', '.join(sorted(spec.fields))}).")
    rows = []
    for row in reader:
        if None in row:
            raise ValidationError(f"Line {reader.line_num} has more cells than the header.")
        rows.append({k: v for k, v in row.items() if v not in ("", None)})
        if len(rows) > MAX_ROWS:
            raise ValidationError(f"At most {MAX_ROWS:,} rows per file.")
    return rows
