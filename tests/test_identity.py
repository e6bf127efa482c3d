"""A function's identity (``powertune.identity``): every way of naming one function is one
identity; names that are not functions are one usage error, never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from powertune import identity
from powertune.errors import InputError

names = st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True)
qualifiers = st.one_of(st.just("$LATEST"), st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True))
accounts = st.from_regex(r"[0-9]{12}", fullmatch=True)
regions = st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1"])


@given(names, qualifiers, accounts, regions)
def test_every_form_of_one_function_is_one_identity(
    name: str, qualifier: str, account: str, region: str
) -> None:
    arn = f"arn:aws:lambda:{region}:{account}:function:{name}"
    forms = [name, f"{name}:{qualifier}", arn, f"{arn}:{qualifier}",
             f"{account}:function:{name}", f"{account}:function:{name}:{qualifier}"]  # fmt: skip
    kept, dropped = identity.unique(forms, account=account, region=region)
    assert kept == [name] and len(dropped) == len(forms) - 1
    assert identity.from_arn(f"{arn}:{qualifier}").arn == arn
    assert identity.of(name, f"{arn}:{qualifier}", region) == identity.of(name, arn, region)


@given(names, accounts, accounts, regions, regions)
def test_other_accounts_and_regions_are_other_functions(
    name: str, a: str, b: str, r1: str, r2: str
) -> None:
    one = identity.parse(f"arn:aws:lambda:{r1}:{a}:function:{name}").id
    two = identity.parse(f"arn:aws:lambda:{r2}:{b}:function:{name}").id
    assert one.same(two) == ((a, r1) == (b, r2))
    # a bare name is the caller's: the same as an ARN only in the caller's account and region
    bare = identity.parse(name).id.complete(a, r1)
    assert bare.same(one) and bare.same(two) == ((a, r1) == (b, r2))


@given(st.text(max_size=80))
def test_anything_else_is_one_usage_error(text: str) -> None:
    try:
        ref = identity.parse(text)
    except InputError as exc:
        assert "not a Lambda function name or ARN" in str(exc)
    else:
        assert 1 <= len(ref.name) <= 64 and ref.name in text


@pytest.mark.parametrize(
    "text",
    [
        "",
        "arn:aws:lambda:us-east-1:12345:function:f",
        "arn:aws:s3:::bucket",
        "a" * 65,
        "f:g:h",
        "arn:aws:lambda:us-east-1:123456789012:layer:f",
    ],
)
def test_malformed_names_are_refused(text: str) -> None:
    with pytest.raises(InputError):
        identity.parse(text)
