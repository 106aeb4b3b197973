"""A target definition (the ideal customer profile) as data: weighted rules, tiers, persona.

Why: metrics.md v2 makes the target definition the most important go-to-market decision,
so it must be something a team can read, argue about, version and test, not a vendor's
black box. A definition is a small YAML document:

    name: ICP 2027
    rules:
      - {field: industry, op: in, values: [Software, Fintech], weight: 3}
      - {field: employees, op: between, values: [200, 5000], weight: 2}
      - {field: technologies, op: contains, values: [snowflake], weight: 1}
    tiers: {A: 80, B: 50}
    target_tier: B
    persona: {buying_roles: [economic_buyer, champion], title_keywords: [VP, Head of]}

Fit score = points of the rules an account matches / points of all rules x 100; tier A at
`tiers.A` or more, B at `tiers.B` or more, C below; target accounts are those at or above
the target tier. This module parses and checks a definition (every refusal names the rule),
writes it back, compares two, and turns one into the bound parameters of the scoring SQL
(SCORE_RELATIONS below, read by the loader's staging and by the Targets page's preview alike,
so the active definition and a draft are scored by the same text).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

import yaml

from gtm import fmt
from gtm.yamltext import loader

OPERATORS = ("in", "not in", "between", ">=", "<=", "contains", "is empty", "is not empty")
NUMBER_OPS = ("between", ">=", "<=")
LIST_OPS = ("in", "not in", "contains")
EMPTY_OPS = ("is empty", "is not empty")
TIERS = ("A", "B", "C")
DEFAULT_TIER_A, DEFAULT_TIER_B, DEFAULT_TARGET_TIER = 80.0, 50.0, "B"
MAX_BYTES = 64 * 1024
MAX_RULES = 50
MAX_VALUES = 500
TOP_KEYS = ("name", "description", "rules", "tiers", "target_tier", "persona")
RULE_KEYS = ("field", "op", "values", "value", "weight")
PERSONA_KEYS = ("buying_roles", "title_keywords")
_YAML = loader("a target definition")


class DefinitionError(ValueError):
    """A definition that cannot be used; `problems` holds one sentence per problem."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Rule:
    field: str
    op: str
    values: tuple[str, ...] = ()  # in, not in, contains (any of)
    low: float | None = None  # between, >=
    high: float | None = None  # between, <=
    weight: float = 1.0

    def text(self) -> str:
        """The rule as a sentence fragment: 'employees between 200 and 5,000'."""
        if self.op in EMPTY_OPS:
            return f"{self.field} {self.op}"
        if self.op == "between":
            return f"{self.field} between {_number(self.low)} and {_number(self.high)}"
        if self.op in (">=", "<="):
            return f"{self.field} {self.op} {_number(self.low if self.op == '>=' else self.high)}"
        return f"{self.field} {self.op} {', '.join(self.values)}"


@dataclass(frozen=True)
class Persona:
    """Target persona: people whose buying role is one of `roles` or whose title contains
    one of `title_keywords` (case-insensitive). Empty: every person of a target account."""

    roles: tuple[str, ...] = ()
    title_keywords: tuple[str, ...] = ()

    @property
    def defined(self) -> bool:
        return bool(self.roles or self.title_keywords)

    def text(self) -> str:
        parts = []
        if self.roles:
            parts.append("buying role in " + ", ".join(self.roles))
        if self.title_keywords:
            parts.append("title contains " + " or ".join(self.title_keywords))
        return " or ".join(parts) if parts else "every person of a target account"


@dataclass(frozen=True)
class Definition:
    name: str
    rules: tuple[Rule, ...]
    tier_a: float = DEFAULT_TIER_A
    tier_b: float = DEFAULT_TIER_B
    target_tier: str = DEFAULT_TARGET_TIER
    persona: Persona = field(default_factory=Persona)
    description: str = ""

    @property
    def points(self) -> float:
        return sum(r.weight for r in self.rules)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r.field for r in self.rules))

    def tier_of(self, fit: float | None) -> str | None:
        """The tier of a fit score (None for None)."""
        if fit is None:
            return None
        return "A" if fit >= self.tier_a else "B" if fit >= self.tier_b else "C"

    def targets_text(self) -> str:
        """'tier B or above (fit 50 or more)'."""
        low = self.tier_a if self.target_tier == "A" else self.tier_b
        if self.target_tier == "C":
            return "every tier (A, B and C)"
        above = "" if self.target_tier == "A" else " or above"
        return f"tier {self.target_tier}{above} (fit {_number(low)} or more)"


def _number(value) -> str:
    if value is None:
        return "?"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}".rstrip("0")


# --- reading and checking ----------------------------------------------------------------


def parse(text: str, fields: dict[str, str] | None = None) -> Definition:
    """A Definition from YAML text; DefinitionError naming every problem (and its rule).

    fields: the dataset's account fields (name -> kind, 'number' | 'text' | 'list'); when
    given, each rule's field must be one of them (matched case-insensitively; the rule then
    reads the dataset's spelling) and a number comparison needs a number field."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise DefinitionError([f"the definition is {len(text.encode('utf-8')):,} bytes; a "
                               f"target definition is at most {MAX_BYTES // 1024} KB of YAML"])
    try:
        doc = yaml.load(text, Loader=_YAML)  # noqa: S506 (a SafeLoader without aliases)
    except yaml.YAMLError as exc:
        raise DefinitionError([f"not valid YAML: {_yaml_problem(exc)}"]) from None
    return from_dict(doc, fields)


def _yaml_problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    return where + (getattr(exc, "problem", None) or str(exc)).strip()


def from_dict(doc, fields: dict[str, str] | None = None) -> Definition:
    """A Definition from a parsed YAML document (see parse)."""
    if not isinstance(doc, dict):
        raise DefinitionError(["expected a mapping with name, rules and tiers, like "
                               "'name: ICP\\nrules:\\n  - {field: industry, op: in, values: "
                               "[Software], weight: 1}'"])
    problems = [f"unknown key '{k}'; expected {', '.join(TOP_KEYS)}" for k in doc
                if k not in TOP_KEYS]
    rules = _rules(doc.get("rules"), fields, problems)
    tier_a, tier_b = _tiers(doc.get("tiers"), problems)
    target = str(doc.get("target_tier", DEFAULT_TARGET_TIER)).strip().upper()
    if target not in TIERS:
        problems.append(f"target_tier: '{doc.get('target_tier')}' is not a tier; expected A, "
                        "B or C")
    persona = _persona(doc.get("persona"), problems)
    name = str(doc.get("name") or "").strip()
    if not name:
        problems.append("name: a definition needs a name (e.g. 'name: ICP 2027')")
    if problems:
        raise DefinitionError(problems)
    return Definition(name[:120], tuple(rules), tier_a, tier_b, target, persona,
                      str(doc.get("description") or "").strip()[:2000])


def _rules(raw, fields, problems: list[str]) -> list[Rule]:
    if not isinstance(raw, list) or not raw:
        problems.append("rules: a definition needs at least one rule (a list of field, op, "
                        "values and weight)")
        return []
    if len(raw) > MAX_RULES:
        problems.append(f"rules: {len(raw)} rules; a definition has at most {MAX_RULES}")
        return []
    known = {k.lower(): k for k in fields} if fields is not None else None
    rules = []
    for number, item in enumerate(raw, 1):
        rule, found = _rule(item, known, fields)
        problems += [f"rule {number}{_label(item)}: {p}" for p in found]
        if rule is not None:
            rules.append(rule)
    return rules


def _label(item) -> str:
    """' (employees >= 200)': how the refusal names a rule, as the user wrote it."""
    if not isinstance(item, dict):
        return ""
    values = item.get("values", item.get("value", ""))
    shown = ", ".join(str(v) for v in values) if isinstance(values, list) else str(values)
    text = " ".join(str(p) for p in (item.get("field", "?"), item.get("op", "?"), shown) if p != "")
    return f" ({text[:80]})"


def _rule(item, known: dict | None, fields: dict | None) -> tuple[Rule | None, list[str]]:
    if not isinstance(item, dict):
        return None, ["expected field, op, values and weight, like '{field: industry, op: in, "
                      "values: [Software], weight: 1}'"]
    found = [f"unknown key '{k}'; expected field, op, values and weight" for k in item
             if k not in RULE_KEYS]
    name = str(item.get("field") or "").strip()
    if not name:
        found.append("no field; name an account column (industry, employees, ...)")
    elif known is not None and name.lower() not in known:
        found.append(f"unknown field '{name}'; the accounts have {', '.join(sorted(fields))}")
    elif known is not None:
        name = known[name.lower()]
    op = re.sub(r"\s+", " ", str(item.get("op") or "").strip().lower())
    if op not in OPERATORS:
        found.append(f"unknown operator '{item.get('op')}'; expected one of "
                     f"{', '.join(OPERATORS)}")
    elif op in NUMBER_OPS and fields is not None and fields.get(name) not in (None, "number"):
        found.append(f"{op} compares numbers, and {name} is text; use in, not in or contains")
    weight = _weight(item.get("weight", 1), found)
    values = item.get("values", item.get("value"))
    rule = _shaped(name, op, values, weight, found) if op in OPERATORS else None
    return (rule if not found else None), found


def _weight(raw, found: list[str]) -> float:
    try:
        weight = float(raw)
    except (TypeError, ValueError):
        found.append(f"weight '{raw}' is not a number; a weight is a number of points above 0")
        return 1.0
    if not math.isfinite(weight) or weight <= 0:
        found.append(f"weight {raw}; a rule's weight must be a number greater than 0 (leave "
                     "the rule out instead of weighing it 0)")
    elif weight > 1000:
        found.append(f"weight {raw}; a weight is at most 1000 points")
    return weight


def _shaped(name: str, op: str, values, weight: float, found: list[str]) -> Rule | None:
    """The rule with its values in the shape its operator needs."""
    items = values if isinstance(values, list) else ([] if values is None else [values])
    if op in EMPTY_OPS:
        if items:
            found.append(f"'{op}' takes no values")
        return Rule(name, op, weight=weight)
    if op in LIST_OPS:
        texts = tuple(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))
        if not texts:
            found.append(f"'{op}' needs at least one value")
        elif len(texts) > MAX_VALUES:
            found.append(f"{len(texts)} values; a rule lists at most {MAX_VALUES}")
        return Rule(name, op, texts, weight=weight)
    numbers = [_as_number(v) for v in items]
    if any(n is None for n in numbers) or not numbers:
        found.append(f"'{op}' compares numbers; got {items or 'no value'}")
        return None
    if op == "between":
        if len(numbers) != 2 or numbers[0] > numbers[1]:
            found.append("'between' needs two numbers, the lower first (values: [200, 5000])")
            return None
        return Rule(name, op, low=numbers[0], high=numbers[1], weight=weight)
    if len(numbers) != 1:
        found.append(f"'{op}' needs one number (value: 200)")
        return None
    return Rule(name, op, low=numbers[0] if op == ">=" else None,
                high=numbers[0] if op == "<=" else None, weight=weight)


def _as_number(value) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).replace(",", "").replace("_", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _tiers(raw, problems: list[str]) -> tuple[float, float]:
    if raw is None:
        return DEFAULT_TIER_A, DEFAULT_TIER_B
    if not isinstance(raw, dict):
        problems.append("tiers: expected the thresholds of A and B, like 'tiers: {A: 80, B: 50}'")
        return DEFAULT_TIER_A, DEFAULT_TIER_B
    extra = [str(k) for k in raw if str(k).upper() not in ("A", "B")]
    if extra:
        problems.append(f"tiers: unknown tier {', '.join(extra)}; give the fit score where A "
                        "and B start (C is below B)")
    values = {str(k).upper(): v for k, v in raw.items()}
    a = _threshold("A", values.get("A", DEFAULT_TIER_A), problems)
    b = _threshold("B", values.get("B", DEFAULT_TIER_B), problems)
    if a is not None and b is not None and a <= b:
        problems.append(f"tiers: A starts at {_number(a)} and B at {_number(b)}; the thresholds "
                        "overlap: A must start above B (C is below B)")
    return a or DEFAULT_TIER_A, b or DEFAULT_TIER_B


def _threshold(tier: str, raw, problems: list[str]) -> float | None:
    value = _as_number(raw)
    if value is None or not 0 < value <= 100:
        problems.append(f"tiers: {tier} starts at '{raw}'; a threshold is a fit score above 0 "
                        "and at most 100")
        return None
    return value


def _persona(raw, problems: list[str]) -> Persona:
    if raw is None:
        return Persona()
    if not isinstance(raw, dict):
        problems.append("persona: expected buying_roles and title_keywords lists")
        return Persona()
    problems += [f"persona: unknown key '{k}'; expected {', '.join(PERSONA_KEYS)}" for k in raw
                 if k not in PERSONA_KEYS]
    roles = _texts(raw.get("buying_roles"))
    keywords = _texts(raw.get("title_keywords"))
    return Persona(tuple(r.lower().replace(" ", "_") for r in roles), keywords)


def _texts(raw) -> tuple[str, ...]:
    items = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    return tuple(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))[:MAX_VALUES]


def resolve(definition: Definition, fields: dict[str, str]) -> tuple[Definition, list[str]]:
    """The definition with each rule reading the dataset's spelling of its field, and one
    warning per rule the dataset cannot match (its field is missing, or a number comparison
    reads a field that holds text): such a rule matches no account (metrics.md v2)."""
    known = {k.lower(): k for k in fields}
    rules, warnings = [], []
    for number, rule in enumerate(definition.rules, 1):
        name = known.get(rule.field.lower())
        if name is None:
            warnings.append(f"target definition '{definition.name}', rule {number} "
                            f"({rule.text()}): the accounts have no field {rule.field}, so no "
                            "account matches this rule")
        elif rule.op in NUMBER_OPS and fields[name] != "number":
            warnings.append(f"target definition '{definition.name}', rule {number} "
                            f"({rule.text()}): {name} holds text here, so no account matches "
                            "this number comparison")
        rules.append(replace(rule, field=name or rule.field))
    return replace(definition, rules=tuple(rules)), warnings


def check_fields(definition: Definition, fields: dict[str, str]) -> Definition:
    """The definition re-read against a dataset's fields (DefinitionError naming each rule
    whose field that dataset lacks); its rules then read the dataset's spelling."""
    return parse(to_yaml(definition), fields)


# --- writing -------------------------------------------------------------------------------


def to_dict(definition: Definition) -> dict:
    doc: dict = {"name": definition.name}
    if definition.description:
        doc["description"] = definition.description
    doc["rules"] = [_rule_dict(r) for r in definition.rules]
    doc["tiers"] = {"A": _plain(definition.tier_a), "B": _plain(definition.tier_b)}
    doc["target_tier"] = definition.target_tier
    if definition.persona.defined:
        persona = {}
        if definition.persona.roles:
            persona["buying_roles"] = list(definition.persona.roles)
        if definition.persona.title_keywords:
            persona["title_keywords"] = list(definition.persona.title_keywords)
        doc["persona"] = persona
    return doc


def _rule_dict(rule: Rule) -> dict:
    out: dict = {"field": rule.field, "op": rule.op}
    if rule.op in LIST_OPS:
        out["values"] = list(rule.values)
    elif rule.op == "between":
        out["values"] = [_plain(rule.low), _plain(rule.high)]
    elif rule.op == ">=":
        out["value"] = _plain(rule.low)
    elif rule.op == "<=":
        out["value"] = _plain(rule.high)
    out["weight"] = _plain(rule.weight)
    return out


def _plain(number: float | None):
    """200.0 -> 200 (a YAML reader should see the number the user wrote)."""
    if number is None:
        return None
    return int(number) if float(number).is_integer() else float(number)


def to_yaml(definition: Definition) -> str:
    """The definition as a YAML document (lists of values inline, one rule per block)."""
    return yaml.safe_dump(to_dict(definition), sort_keys=False, allow_unicode=True,
                          default_flow_style=None, width=100)


def with_rule(definition: Definition, rule: Rule) -> Definition:
    return replace(definition, rules=(*definition.rules, rule))


def without_rule(definition: Definition, index: int) -> Definition:
    """The definition without its rule number `index` (1-based)."""
    return replace(definition, rules=tuple(r for i, r in enumerate(definition.rules, 1)
                                           if i != index))


# --- comparing -----------------------------------------------------------------------------


def diff(before: Definition | None, after: Definition | None) -> list[str]:
    """What changed from `before` to `after`, one sentence per change (None: no definition,
    the v1 rule)."""
    if before is None and after is None:
        return []
    if before is None:
        return [f"target definition '{after.name}' with {len(after.rules)} rules replaces "
                "the v1 rule (is_target, else fit_score)"]
    if after is None:
        return [f"target definition '{before.name}' switched off: the v1 rule (is_target, "
                "else fit_score) again"]
    lines = []
    if before.name != after.name:
        lines.append(f"name: '{before.name}' -> '{after.name}'")
    lines += _rule_changes(before.rules, after.rules)
    if (before.tier_a, before.tier_b) != (after.tier_a, after.tier_b):
        lines.append(f"tiers: A from {_number(before.tier_a)}, B from {_number(before.tier_b)} "
                     f"-> A from {_number(after.tier_a)}, B from {_number(after.tier_b)}")
    if before.target_tier != after.target_tier:
        lines.append(f"target tier: {before.target_tier} -> {after.target_tier}")
    if before.persona != after.persona:
        lines.append(f"persona: {before.persona.text()} -> {after.persona.text()}")
    if before.description != after.description:
        lines.append("description changed")
    return lines


def _rule_changes(old: tuple[Rule, ...], new: tuple[Rule, ...]) -> list[str]:
    """Rules matched by field and operator: changed, added, removed."""
    def key(rule: Rule) -> tuple[str, str]:
        return rule.field.lower(), rule.op

    before = {key(r): r for r in old}
    after = {key(r): r for r in new}
    lines = []
    for k, rule in after.items():
        if k not in before:
            lines.append(f"rule added: {rule.text()} (weight {_number(rule.weight)})")
        elif before[k] != rule:
            was = before[k]
            lines.append(f"rule changed: {was.text()} (weight {_number(was.weight)}) -> "
                         f"{rule.text()} (weight {_number(rule.weight)})")
    lines += [f"rule removed: {r.text()} (weight {_number(r.weight)})"
              for k, r in before.items() if k not in after]
    return lines


# --- the scoring SQL -------------------------------------------------------------------------


def params(definition: Definition | None) -> dict:
    """The bound parameters SCORE_RELATIONS and persona_flag read (every list is plain values:
    the definition never becomes SQL text). None: no definition (nothing is scored)."""
    d = definition or Definition("none", ())
    terms = [(i, v.lower()) for i, r in enumerate(d.rules, 1) for v in r.values]
    keywords = [k.lower() for k in d.persona.title_keywords]
    return {
        "rule_fields": [r.field for r in d.rules],
        "rule_ops": [r.op for r in d.rules],
        "rule_lows": [r.low for r in d.rules],
        "rule_highs": [r.high for r in d.rules],
        "rule_weights": [float(r.weight) for r in d.rules],
        "term_rules": [i for i, _ in terms],
        "term_values": [v for _, v in terms],
        "tier_a": float(d.tier_a),
        "tier_b": float(d.tier_b),
        "target_rank": TIERS.index(d.target_tier) + 1,
        "has_persona": d.persona.defined,
        "persona_roles": list(d.persona.roles),
        "persona_pattern": _pattern(keywords) if keywords else None,
    }


_REGEX_SPECIAL = re.compile(r"([\\.^$|?*+()\[\]{}])")


def _pattern(keywords: list[str]) -> str:
    """An RE2 pattern matching any keyword as plain text ('vp|head of')."""
    return "|".join(_REGEX_SPECIAL.sub(r"\\\1", k) for k in keywords)


def persona_flag(role: str, title: str) -> str:
    """SQL: the person matches the target persona (every person when none is defined): a
    buying role in $persona_roles or a title containing one of the keywords. The arguments are
    column names, never values."""
    return (f"(not $has_persona or coalesce(list_contains($persona_roles::varchar[], {role}), "
            f"false) or coalesce(regexp_matches(lower({title}), $persona_pattern), false))")


# The fit score of every account under the definition bound as parameters, as named
# relations over int_account_fields (one row per account and field value, written at load:
# gtm/load/staging.py). An account is listed once, by its `account_id` field. A rule an
# account has no value for does not match (metrics.md v2), except `is empty`; `not in`
# matches an account that has the field and none of the listed values.
SCORE_RELATIONS = (
    ("icp_rules", """
        select unnest(range(1, len($rule_fields) + 1)) as rule_no,
            unnest($rule_fields::varchar[]) as field,
            unnest($rule_ops::varchar[]) as op,
            unnest($rule_lows::double[]) as low,
            unnest($rule_highs::double[]) as high,
            unnest($rule_weights::double[]) as weight"""),
    ("icp_terms", """
        select unnest($term_rules::integer[]) as rule_no, unnest($term_values::varchar[]) as term"""),
    ("icp_values", """
        select f.account_key, r.rule_no, r.op, r.low, r.high, lower(f.value) as value, f.num
        from icp_rules as r
        join int_account_fields as f on f.field = r.field"""),
    ("icp_hits", """
        select distinct v.account_key, v.rule_no
        from icp_values as v
        left join icp_terms as t on t.rule_no = v.rule_no
        where v.op = 'is not empty'
           or (v.op in ('in', 'not in') and v.value = t.term)
           or (v.op = 'contains' and contains(v.value, t.term))
           or (v.op = '>=' and v.num >= v.low)
           or (v.op = '<=' and v.num <= v.high)
           or (v.op = 'between' and v.num between v.low and v.high)"""),
    ("icp_matches", """
        select a.account_key, r.rule_no, r.weight, v.account_key is not null as has_value,
            case when r.op = 'is empty' then v.account_key is null
                 when r.op = 'not in' then v.account_key is not null and h.account_key is null
                 else h.account_key is not null end as matched
        from int_account_fields as a
        cross join icp_rules as r
        left join (select distinct account_key, rule_no from icp_values) as v
            on v.account_key = a.account_key and v.rule_no = r.rule_no
        left join icp_hits as h on h.account_key = a.account_key and h.rule_no = r.rule_no
        where a.field = 'account_id'"""),
    ("icp_scores", """
        select account_key,
            100.0 * coalesce(sum(weight) filter (where matched), 0) / sum(weight) as fit,
            list(rule_no order by rule_no) filter (where matched) as rules_matched,
            bool_or(has_value) as has_data
        from icp_matches
        group by account_key"""),
    ("icp_accounts", """
        select account_key, fit, rules_matched, has_data,
            case when fit >= $tier_a then 'A' when fit >= $tier_b then 'B' else 'C' end as tier,
            case when fit >= $tier_a then 1 when fit >= $tier_b then 2 else 3 end <= $target_rank
                as is_target
        from icp_scores"""),
)


def rules_text(definition: Definition, matched) -> str:
    """'industry in Software; employees >= 200' for a list of matched rule numbers."""
    if matched is None or isinstance(matched, float) or not hasattr(matched, "__iter__"):
        return ""  # None, NaN or pandas' NA: no rule matched
    return "; ".join(definition.rules[int(i) - 1].text() for i in matched
                     if 0 < int(i) <= len(definition.rules))


def fit_text(fit: float | None) -> str:
    return fmt.NA if fit is None else f"{fit:.0f}"
