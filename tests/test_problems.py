"""The one table from a failure to the words a person reads (dashboard/problems.py)."""

import inspect

import pytest

from dashboard import failures
from dashboard.conductor import errors
from dashboard.problems import LOOKUP_FAILURES, for_admins, problem_for


def every_failure_class():
    for module in (errors, failures):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, LOOKUP_FAILURES):
                yield cls


@pytest.mark.parametrize("cls", list(every_failure_class()), ids=lambda cls: cls.__name__)
def test_every_failure_reads_as_a_page_a_line_and_a_next_step(cls):
    problem = problem_for(cls("what happened"), "Harbor Dental")
    assert 400 <= problem.status < 600
    assert problem.title and problem.explanation and problem.next_step and problem.summary
    assert problem.summary.endswith(".")


def test_the_specific_failures_get_their_own_words_and_status():
    assert problem_for(errors.NotFoundError("x"), "Harbor Dental").status == 404
    offline = problem_for(errors.IntegrationConnectionError("x"), "Harbor Dental")
    assert offline.status == 503 and "Harbor Dental" in offline.explanation
    assert problem_for(errors.QuickBooksTimeoutError("x")).status == 504
    assert problem_for(errors.ConnectionNotSetUpError("x")).title == "QuickBooks setup is not finished"
    assert problem_for(failures.CompanyBusyError("x")).status == 503
    refused = problem_for(errors.AuthenticationError("x"))
    assert refused.status == 502 and refused.show_key_link
    assert problem_for(failures.KeyUnreadableError("x")).show_key_link


def test_a_failure_reads_as_its_nearest_listed_class_whatever_the_order_of_the_table():
    class RecordMerged(errors.NotFoundError):  # a subclass nobody listed
        pass

    class SlowQuickBooks(errors.QuickBooksTimeoutError):
        pass

    assert problem_for(RecordMerged("x")).title == "Customer not found"
    # its own words, not those of IntegrationConnectionError, the class above it
    assert problem_for(SlowQuickBooks("x")).title == "QuickBooks took too long"
    assert problem_for(errors.InternalError("x")).title == "Conductor reported an error"


def test_not_found_says_what_was_not_found():
    invoice = problem_for(errors.NotFoundError("x"), "Harbor Dental", "invoice")
    assert invoice.title == "Invoice not found" and "no invoice with this id in Harbor Dental" in invoice.explanation
    assert "another kind of transaction" in invoice.next_step and invoice.summary == "QuickBooks has no such invoice."
    customer = problem_for(errors.NotFoundError("x"), "Harbor Dental")
    assert customer.title == "Customer not found" and "company page" in customer.next_step


def test_our_own_failures_do_not_pretend_to_come_from_conductor():
    ours = [
        cls
        for _, cls in inspect.getmembers(failures, inspect.isclass)
        if cls.__module__ == failures.__name__ and issubclass(cls, failures.DashboardError)
    ]
    assert len(ours) >= 5
    for cls in ours:
        assert cls.__name__.endswith("Error")
        assert not issubclass(cls, errors.ConductorError)
        assert cls("x").request_id is None or cls is failures.DuplicateSourceIdError


def test_admins_read_conductors_words_and_the_request_id():
    exc = errors.IntegrationError("QBD said no", user_facing_message="The record is in use.", request_id="req_42")
    assert for_admins(exc) == "The record is in use. (Conductor request req_42)"
    assert for_admins(errors.InternalError("Conductor failed")) == "Conductor failed"
    assert for_admins(failures.NoPublishableKeyError("Add a pk_ key first.")) == "Add a pk_ key first."


@pytest.mark.parametrize(
    "message,quoted",
    [
        ("An internal server error occurred. Please try again.", False),
        ("Internal Server Error", False),
        ("  ", False),
        (None, False),
        ("We could not connect to QuickBooks Desktop. Please make sure QuickBooks is running.", True),
        ("This record is in use in QuickBooks Desktop. Please close it and try again.", True),
    ],
)
def test_conductors_message_is_quoted_only_when_it_says_something(message, quoted):
    from dashboard.problems import worth_quoting

    problem = problem_for(errors.IntegrationError("x"))
    assert (worth_quoting(message, problem) is not None) is quoted
