"""Schemathesis hooks for scripts/schemathesis.sh: two narrow exceptions, each keyed to the exact
answer that makes it one, and one bound on waiting (3, below).

1. A request whose URI is longer than the HTTP layer can represent (the `http` crate's limit,
   65,534 bytes: e.g. a negative `since` of 4,097 four-byte characters, percent-encoded) is
   refused by actix-http's parser with a bare 400 (or, when the head outgrows its buffer first,
   a bare 431) before any application code runs, so no handler can answer it with
   problem+json. Only failures of such requests, answered with that bare 400 or 431, are
   dropped. (Every schema-valid request is far below the limit: tokens are at most
   8,192 printable ASCII characters, 24 KiB percent-encoded.)

2. `positive_data_acceptance` (ST202) failures whose answer is the server refusing a *value the
   schema cannot describe*. Four parameters carry such values:

- `cursor` and `since` are opaque tokens this service issues (1-8192 printable ASCII
  characters is all a client may assume about their shape); a well-shaped string the service
  never issued is rightly 400 `invalid_request` ("... this service returned/issued").
- `object_type` is the id of one of the provider's object types; which ids exist depends on the
  provider in the path (`GET /api/integrations` lists them), or for `fields`, on the connected
  account (`object-types` lists them), so a well-shaped id the provider does not offer is
  rightly 400 `invalid_request` ("object_type must be one of ...").
- `properties` names fields of the connected account (`fields` lists them, custom ones
  included), so a well-shaped name the account does not have is rightly 400
  `invalid_request` ("properties must name fields of ...").
- `associations` names object types, as `object_type` does ("associations must name object
  types this provider reads").

   Two answers are about the connected account rather than the request's shape, and are
   treated the same way: 403 `insufficient_scope` (a well-shaped kind, e.g. a custom object's
   `2-…` id, whose scope this grant lacks) and 404 `record_not_found` (`items/{id}`: a
   well-shaped id no record of the account has).

   The failure is dropped only when the answer is that exact problem; any other rejection of
   schema-valid data still fails the run.

Schemathesis reports how many failures the hooks dropped ("Filtered: N").
"""

import json

import schemathesis

# Details of the problems the server answers for a well-shaped value it does not know.
UNKNOWABLE = (
    "pass back a next_cursor this service returned",
    "is not one this service issued",
    "is not one this server issued",
    "object_type must be one of:",
    "object_type must be one of the portal's object types",
    "lists one kind of item; omit object_type",
    "properties must name fields of",
    "associations must name object types",
)

# Answers about the connected account, not the request: (status, code).
ACCOUNT_STATE = ((403, "insufficient_scope"), (404, "record_not_found"))


# The longest URI the `http` crate (under actix-http) parses.
MAX_URI = 65_534


@schemathesis.hook
def filter_failure(context, failure, case, response):
    uri = response.request.path_url or ""
    if len(uri) > MAX_URI and response.status_code in (400, 431) and not response.content:
        return False
    if failure.code != "ST202" or response.status_code not in (400, 403, 404):
        return True
    try:
        problem = json.loads(response.content)
    except ValueError:
        return True
    if not isinstance(problem, dict):
        return True
    detail = problem.get("detail", "")
    code = problem.get("code")
    unknowable = response.status_code == 400 and code == "invalid_request" and any(
        s in detail for s in UNKNOWABLE
    )
    return not (unknowable or (response.status_code, code) in ACCOUNT_STATE)


# A long poll of `GET …/events` waits as long as it is asked (`wait`, up to 60 s) when nothing
# happens, and nothing happens to the contract run's account: every wait in range becomes one
# second, so the run does not spend hours waiting. Out-of-range values are left alone (they must
# still be refused), and the range itself is covered by the Rust tests.
@schemathesis.hook
def map_query(ctx, query):
    operation = getattr(ctx, "operation", None)
    path = getattr(operation, "path", "") or ""
    if query and path.endswith("/events"):
        wait = query.get("wait")
        if isinstance(wait, int) and not isinstance(wait, bool) and 1 < wait <= 60:
            query["wait"] = 1
    return query
