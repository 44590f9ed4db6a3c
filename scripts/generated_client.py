"""Calls the API through a client generated from its OpenAPI document
(openapi-python-client, package `lvzhi_client`): the document is usable as
it is published. Run by scripts/schemathesis.sh with the generated package on
PYTHONPATH:

    python generated_client.py BASE_URL STAFF_TOKEN
"""
import sys

from lvzhi_client import AuthenticatedClient
from lvzhi_client.api.cases import figures as case_figures
from lvzhi_client.api.members import get as get_member
from lvzhi_client.api.members import list_ as list_members
from lvzhi_client.models import CaseFigures, ErrorBody, Member

base, token = sys.argv[1], sys.argv[2]
client = AuthenticatedClient(base_url=base, token=token, raise_on_unexpected_status=True)

# 1. A page of the members, with the query parameters a generated client sends.
page = list_members.sync(client=client, per_page="5", sort="name")
assert page is not None and not isinstance(page, ErrorBody), page
assert len(page.items) == 5 and page.total >= 14, (len(page.items), page.total)
first = page.items[0]

# 2. One member by id, typed.
member = get_member.sync(first.id, client=client)
assert isinstance(member, Member), member
assert member.name == first.name, (member.name, first.name)

# 3. The case figures of a period, and a refusal answered as ErrorBody.
figures = case_figures.sync(client=client, from_="2011-01-01", to="2011-12-31")
assert isinstance(figures, CaseFigures), figures
assert figures.reception_days > 0 and figures.received >= figures.resolved, figures
refused = case_figures.sync(client=client, from_="2011-13-01")
assert isinstance(refused, ErrorBody) and refused.fields, refused

print(f"generated client: 3 operations answered ({page.total} members; "
      f"{figures.received} cases received in 2011; a bad date refused)")
