"""The course's late-submission policy, an nbgrader plug-in: a fixed share of the score off per day late.

    c.AssignLatePenalties.plugin_class = "late_penalty.PercentPerDay"   (nbgrader_config.py)
    c.PercentPerDay.percent_per_day = 10       # each started day late costs 10 % of the score
    c.PercentPerDay.grace_minutes = 15         # a submission this close to the deadline is on time

A submission 1 minute to 24 hours late loses 10 %, 24 to 48 hours 20 %, and so on, never more than the score.
nbgrader applies it to each notebook's score when it autogrades; the due date is the assignment's, set with
`make due A=a01 DUE="2026-03-01 17:00:00 Europe/Berlin"`.
"""

import math

from traitlets import Float

from nbgrader.plugins import LateSubmissionPlugin


class PercentPerDay(LateSubmissionPlugin):
    percent_per_day = Float(10.0, help="Share of the score lost per started day late, in percent.").tag(config=True)
    grace_minutes = Float(0.0, help="Minutes after the due date that still count as on time.").tag(config=True)

    def late_submission_penalty(self, student_id, score, total_seconds_late):
        late = total_seconds_late - 60 * self.grace_minutes
        if late <= 0:
            return None
        days = math.ceil(late / 86400)
        penalty = min(score, score * self.percent_per_day * days / 100)
        self.log.warning("%s is %d day(s) late: %g %% off, %g of %g points", student_id, days,
                         self.percent_per_day * days, penalty, score)
        return penalty
