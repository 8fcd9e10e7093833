"""Where each on-call model's project is (see opsportal/access).

Schedules, layers and their participants are configuration: only the project's Managers
change them. Overrides (someone covers a shift) are day-to-day work: Operators add them.
Organisation-wide schedules (no project) are readable by all.
"""

from opsportal.access import scoped

ACCESS = {
    "OnCallSchedule": scoped("project", configuration=True, open_when_null=True),
    "ScheduleLayer": scoped("schedule__project", configuration=True, open_when_null=True),
    "LayerParticipant": scoped("layer__schedule__project", configuration=True, open_when_null=True),
    "ScheduleOverride": scoped("schedule__project", open_when_null=True),
}

ACCESS.update({
    "EscalationPolicy": scoped("project", configuration=True),
    "EscalationStep": scoped("policy__project", configuration=True),
    "Escalation": scoped("incident__project"),
    "EscalationFire": scoped("escalation__incident__project"),
    "AckLinkUse": scoped("incident__project"),
})

ACCESS.update({
    "StatusUpdate": scoped("incident__project"),
    # Who receives updates (external addresses included) is configuration: Managers.
    "StatusSubscriber": scoped("project", configuration=True),
})
