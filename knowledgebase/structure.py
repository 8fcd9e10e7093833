"""The documented structure of runbooks (and a starting point for the other kinds).

The admin editor starts a new article from `starting_body(kind)`; publishing a
runbook checks that the sections of RUNBOOK_SECTIONS are there, so every
published runbook answers the same questions in the same order of urgency.
"""

import re

from knowledgebase.models import ArticleKind

# (key, heading in the template, words that count as that heading when editors rephrase it)
RUNBOOK_SECTIONS = [
    ("impact", "What this alert means for users", ("means", "impact")),
    ("verify", "How to verify it is real", ("verify", "confirm")),
    ("causes", "Likely causes and mitigations", ("cause",)),
    ("diagnosis", "Diagnosis steps", ("diagnos",)),
    ("escalation", "Escalation", ("escalat",)),
    ("owner", "Owner", ("owner",)),
]

RUNBOOK_TEMPLATE = """\
## What this alert means for users

Which users notice what (errors, slowness, failed payments), and how many.

## How to verify it is real

1. Open the service dashboard and check the error rate over the last 30 minutes.
2. Compare with the SLO burn-rate panel; a single scrape gap is not an incident.

```bash
curl -sf https://service.example/healthz
```

## Likely causes and mitigations

| Cause | How to recognise it | Mitigation |
|---|---|---|
| Bad deploy | Errors start at a release | Roll back: `kubectl rollout undo deploy/<service>` |
| Dependency down | Upstream errors in logs | Fail over or switch to the degraded mode |

## Diagnosis steps

1. Check recent deploys and config changes.
2. Read the logs of the failing pods:

```bash
kubectl logs -l app=<service> --since=30m | grep -i error
```

## Escalation

- After **15 minutes** without mitigation: page the service owner.
- After **30 minutes** or customer impact above the SLO: declare an incident and page the incident commander.

## Owner

Team and person who keep this runbook current.
"""

INCIDENT_PROCEDURE_TEMPLATE = """\
## When this procedure applies

## Roles

## Steps

1. Declare the incident.
2. Assign the incident commander.

## Communication

## Closing the incident
"""

TRAINING_TEMPLATE = """\
## Goal

What the reader can do after this training.

## Material

## Exercises

## Check your understanding
"""

STARTING_BODIES = {
    ArticleKind.RUNBOOK: RUNBOOK_TEMPLATE,
    ArticleKind.INCIDENT_PROCEDURE: INCIDENT_PROCEDURE_TEMPLATE,
    ArticleKind.TRAINING: TRAINING_TEMPLATE,
}

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


def starting_body(kind: str) -> str:
    """The Markdown a new article of this kind starts from (the runbook structure for runbooks)."""
    return STARTING_BODIES.get(kind, "")


def missing_runbook_sections(body: str) -> list[str]:
    """Headings of RUNBOOK_SECTIONS that `body` lacks, in template order."""
    headings = [heading.lower() for heading in _HEADING.findall(body or "")]
    return [
        title for _key, title, words in RUNBOOK_SECTIONS
        if not any(word in heading for heading in headings for word in words)
    ]
