# %% [markdown]
# # Scoring leads in a notebook
#
# Run it as a script (``python examples/score_in_a_notebook.py``) or open it in an editor
# that reads ``# %%`` cells (VS Code, Jupytext, Spyder) and run it cell by cell.
#
# A synthetic company's leads, with the hidden truth of which ones converted, are the
# history.  We compare the rule-based grades leadflow ships for that company with two
# models fitted on the history, on leads the models have not seen, and explain a score.

# %%
from datetime import timedelta

from leadflow.datasets import synthetic
from leadflow.datasets.workflow import scoring_model
from leadflow.scoring import Example, Feature, LogisticRegression, NaiveBayes
from leadflow.scoring.evaluate import evaluate, time_split

company = synthetic(leads=2_000, seed=11)
by_lead = {}
for activity in company.activities:
    by_lead.setdefault(activity.lead_id, []).append(activity)

# %% [markdown]
# Each lead becomes an example: the lead, its activities and whether it converted.  The
# examples are scored a week after each lead came in (``at``), so that what happened
# later does not leak into the features; the first 70 % in time train, the rest test.

# %%
examples = [
    Example(
        lead=lead,
        activities=by_lead.get(lead.id, ()),
        converted=company.truth[lead.id].converts,
        at=lead.created_at + timedelta(days=7),
    )
    for lead in company.leads
]
train, test = time_split(examples, fraction=0.3)  # the last 30 % in time test
print(f"{len(train):,} leads to learn from, {len(test):,} to test on")

# %% [markdown]
# Three models: the company's rule-based grades, naive Bayes and a logistic regression
# on what the lead tells and what it did in its first week.

# %%
features = [
    Feature(field="title"),
    Feature(field="industry"),
    Feature(field="company_size", kind="numeric"),
    Feature(field="source"),
    Feature(field="free_mail"),
    Feature(field="activity.form_submission", kind="numeric"),
    Feature(field="activity.web_visit", kind="numeric"),
    Feature(field="activity.email_click", kind="numeric"),
    Feature(field="activity.event_attendance", kind="numeric"),
]
models = {
    "grades": scoring_model(),
    "naive Bayes": NaiveBayes(name="nb", features=features).fit(train),
    "logistic regression": LogisticRegression(name="lr", features=features).fit(train),
}
results = {name: evaluate(model, test) for name, model in models.items()}
for name, result in results.items():
    print(f"{name:20} ROC AUC {result.auc:.3f}")

# %% [markdown]
# The lift table says what sales gets by calling the top leads first.

# %%
print(results["logistic regression"].lift)

# %% [markdown]
# Every score explains itself: here the best-scored test lead, as it was a week in.

# %%
model = models["logistic regression"]
scored = [model.score(e.lead, e.activities, at=e.at) for e in test]
best = max(scored, key=lambda score: score.value)
print(best.explain())
