"""Drives registry_service through stubs generated from proto/ alone (no C++ code shared)."""
import os
import sys
import time
import unittest

import grpc
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2, status_pb2
from google.type import date_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from imp.registry.v1 import registry_pb2 as r
from imp.registry.v1 import registry_pb2_grpc as rg

TARGET = sys.argv.pop(1)           # registry-service
ACTIVITY_TARGET = sys.argv.pop(1)  # activity-service
GATEWAY_TARGET = sys.argv.pop(1)   # gateway
TLS_TARGET = sys.argv.pop(1)       # another registry-service, under mutual TLS
TLS_DIR = sys.argv.pop(1)          # its CA and the internal-tools certificate (deploy/tls-certs.sh)
MD = (("x-imp-actor", "python-client"),)


def rpc_status(error):
    """The google.rpc.Status of an RpcError: what grpcio-status's rpc_status.from_call does
    (Debian packages no grpcio-status), with the same checks."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            assert status.code == error.code().value[0], (status.code, error.code())
            assert status.message == error.details(), (status.message, error.details())
            return status
    return None


def detail(status, message_type):
    for any_detail in status.details:
        if any_detail.Is(message_type.DESCRIPTOR):
            out = message_type()
            any_detail.Unpack(out)
            return out
    return None


class RegistryFromPython(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.channel = grpc.insecure_channel(TARGET)
        cls.stub = rg.RegistryServiceStub(cls.channel)

    def test_every_server_lists_its_services_through_reflection(self):
        expected = {
            TARGET: {"imp.registry.v1.RegistryService"},
            ACTIVITY_TARGET: {"imp.activity.v1.ActivityService"},
            GATEWAY_TARGET: {"imp.gateway.v1.GatewayService", "imp.registry.v1.RegistryService",
                             "imp.activity.v1.ActivityService"},
        }
        for target, services in expected.items():
            with grpc.insecure_channel(target) as channel:
                stub = reflection_pb2_grpc.ServerReflectionStub(channel)
                responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
                names = {s.name for s in next(responses).list_services_response.service}
                self.assertTrue(services | {"grpc.health.v1.Health"} <= names, (target, names))
                health = health_pb2_grpc.HealthStub(channel)
                for service in services | {""}:
                    # The gateway publishes its facades' health from its backends' own, within a
                    # probe interval of starting.
                    give_up = time.monotonic() + 5
                    while True:
                        status = health.Check(health_pb2.HealthCheckRequest(service=service))
                        if status.status == health_pb2.HealthCheckResponse.SERVING or time.monotonic() > give_up:
                            break
                        time.sleep(0.05)
                    self.assertEqual(status.status, health_pb2.HealthCheckResponse.SERVING, (target, service))

    def test_reflection_lists_the_service_and_health(self):
        stub = reflection_pb2_grpc.ServerReflectionStub(self.channel)
        responses = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = {s.name for s in next(responses).list_services_response.service}
        self.assertIn("imp.registry.v1.RegistryService", names)
        self.assertIn("grpc.health.v1.Health", names)
        health = health_pb2_grpc.HealthStub(self.channel)
        status = health.Check(health_pb2.HealthCheckRequest(service="imp.registry.v1.RegistryService"))
        self.assertEqual(status.status, health_pb2.HealthCheckResponse.SERVING)

    def test_everything_a_registry_client_does(self):
        s = self.stub
        ua = s.CreateInstitution(r.CreateInstitutionRequest(
            institution_id="py-kremenchuk-perinatal", request_id="py-req-1",
            institution=r.Institution(display_name="Kremenchuk Perinatal Centre",
                                      local_name="Кременчуцький перинатальний центр",
                                      kind=r.Institution.KIND_HOSPITAL, country="UA", region="UA-53")),
            metadata=MD)
        # A retry repeats the request exactly and gets the first answer ...
        again = s.CreateInstitution(r.CreateInstitutionRequest(
            institution_id="py-kremenchuk-perinatal", request_id="py-req-1",
            institution=r.Institution(display_name="Kremenchuk Perinatal Centre",
                                      local_name="Кременчуцький перинатальний центр",
                                      kind=r.Institution.KIND_HOSPITAL, country="UA", region="UA-53")),
            metadata=MD)
        self.assertEqual(ua.etag, again.etag)
        # ... while the same request_id on another request is refused, naming request_id.
        with self.assertRaises(grpc.RpcError) as reused:
            s.CreateInstitution(r.CreateInstitutionRequest(
                institution_id="py-kremenchuk-perinatal", request_id="py-req-1",
                institution=r.Institution(display_name="Kremenchuk Perinatal Centre",
                                          kind=r.Institution.KIND_HOSPITAL, country="UA",
                                          region="UA-53")),
                metadata=MD)
        self.assertEqual(reused.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(reused.exception.details().startswith("request_id:"))
        self.assertEqual(s.GetInstitution(r.GetInstitutionRequest(name=ua.name)).local_name,
                         "Кременчуцький перинатальний центр")
        fr = s.CreateInstitution(r.CreateInstitutionRequest(
            institution_id="py-chu-clermont",
            institution=r.Institution(display_name="CHU de Clermont-Ferrand",
                                      kind=r.Institution.KIND_UNIVERSITY_HOSPITAL, country="FR")))

        with self.assertRaises(grpc.RpcError) as bad:
            s.CreateInstitution(r.CreateInstitutionRequest(
                institution=r.Institution(display_name="X", kind=r.Institution.KIND_HOSPITAL, country="ZZ")))
        self.assertEqual(bad.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(bad.exception.details().startswith("institution.country"))

        listed = s.ListInstitutions(r.ListInstitutionsRequest(filter='"перинатальний"'))
        self.assertEqual([i.name for i in listed.institutions], [ua.name])

        updated = s.UpdateInstitution(r.UpdateInstitutionRequest(
            institution=r.Institution(name=ua.name, city="Kremenchuk", etag=ua.etag),
            update_mask=field_mask_pb2.FieldMask(paths=["city"])), metadata=MD)
        self.assertEqual(updated.city, "Kremenchuk")
        with self.assertRaises(grpc.RpcError) as stale:
            s.UpdateInstitution(r.UpdateInstitutionRequest(
                institution=r.Institution(name=ua.name, city="x", etag=ua.etag),
                update_mask=field_mask_pb2.FieldMask(paths=["city"])))
        self.assertEqual(stale.exception.code(), grpc.StatusCode.ABORTED)

        agreement = s.CreateAgreement(r.CreateAgreementRequest(
            agreement_id="py-kremenchuk-clermont",
            agreement=r.Agreement(
                title="Memorandum: Kremenchuk Perinatal Centre and CHU Clermont-Ferrand",
                kind=r.Agreement.KIND_TWINNING_MEMORANDUM,
                parties=[r.Party(institution=ua.name, role=r.Party.ROLE_UKRAINIAN_PARTNER),
                         r.Party(institution=fr.name, role=r.Party.ROLE_FOREIGN_PARTNER)],
                cooperation_areas=["perinatal-care", "neonatology"],
                cooperation_forms=[r.COOPERATION_FORM_INTERNSHIPS_AND_KNOWLEDGE_EXCHANGE],
                signing_event="International Medical Partnership Forum, Kyiv")), metadata=MD)
        self.assertEqual(agreement.state, r.Agreement.STATE_PROPOSED)
        active = s.ActivateAgreement(r.ActivateAgreementRequest(
            name=agreement.name, signed_on=date_pb2.Date(year=2025, month=10, day=10)), metadata=MD)
        self.assertEqual(active.state, r.Agreement.STATE_ACTIVE)
        with self.assertRaises(grpc.RpcError) as forbidden:
            s.DeleteInstitution(r.DeleteInstitutionRequest(name=fr.name))
        self.assertEqual(forbidden.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)

        in_force = s.ListAgreements(r.ListAgreementsRequest(filter='in_force_on = "2025-12-01"'))
        self.assertEqual([a.name for a in in_force.agreements], [agreement.name])
        partners = s.ListPartners(r.ListPartnersRequest(institution=ua.name))
        self.assertEqual([p.institution.name for p in partners.partners], [fr.name])
        batch = s.BatchGetAgreements(r.BatchGetAgreementsRequest(names=[agreement.name]))
        self.assertEqual(len(batch.agreements[0].parties), 2)

        updated_agreement = s.UpdateAgreement(r.UpdateAgreementRequest(
            agreement=r.Agreement(name=agreement.name, funders=["GIZ Hospital Partnerships programme"]),
            update_mask=field_mask_pb2.FieldMask(paths=["funders"])), metadata=MD)
        self.assertEqual(list(updated_agreement.funders), ["GIZ Hospital Partnerships programme"])
        institutions = s.BatchGetInstitutions(r.BatchGetInstitutionsRequest(names=[fr.name, ua.name]))
        self.assertEqual([i.name for i in institutions.institutions], [fr.name, ua.name])

        suspended = s.SuspendAgreement(r.SuspendAgreementRequest(name=agreement.name, etag=updated_agreement.etag))
        self.assertEqual(suspended.state, r.Agreement.STATE_SUSPENDED)
        s.ExpireAgreement(r.ExpireAgreementRequest(name=agreement.name))
        with self.assertRaises(grpc.RpcError) as final:
            s.TerminateAgreement(r.TerminateAgreementRequest(name=agreement.name))
        self.assertEqual(final.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        gone = s.DeleteAgreement(r.DeleteAgreementRequest(name=agreement.name))
        self.assertTrue(gone.HasField("delete_time"))
        back = s.UndeleteAgreement(r.UndeleteAgreementRequest(name=agreement.name))
        self.assertFalse(back.HasField("delete_time"))
        deleted = s.DeleteInstitution(r.DeleteInstitutionRequest(name=fr.name))
        self.assertTrue(deleted.HasField("delete_time"))
        restored = s.UndeleteInstitution(r.UndeleteInstitutionRequest(name=fr.name))
        self.assertFalse(restored.HasField("delete_time"))

        history = s.ListChanges(r.ListChangesRequest(name=agreement.name))
        actions = [c.action for c in history.changes]
        self.assertEqual(actions[-1], r.Change.ACTION_CREATE)
        self.assertEqual(history.changes[-1].actor, "python-client")
        self.assertIn(r.Change.ACTION_STATE_CHANGE, actions)
        areas = s.ListCooperationAreas(r.ListCooperationAreasRequest())
        self.assertIn("perinatal-care", [a.code for a in areas.cooperation_areas])

    def test_errors_carry_google_rpc_details(self):
        with self.assertRaises(grpc.RpcError) as bad:
            self.stub.CreateInstitution(r.CreateInstitutionRequest(
                institution=r.Institution(display_name="Nowhere Hospital",
                                          kind=r.Institution.KIND_HOSPITAL, country="XX")),
                metadata=MD)
        status = rpc_status(bad.exception)
        self.assertIsNotNone(status, "no grpc-status-details-bin trailer")
        request = detail(status, error_details_pb2.BadRequest)
        self.assertEqual(request.field_violations[0].field, "institution.country")
        info = detail(status, error_details_pb2.ErrorInfo)
        self.assertEqual((info.reason, info.domain), ("FIELD_INVALID", "imp.v1"))

        # The same through the gateway, which forwards the registry's details.
        with grpc.insecure_channel(GATEWAY_TARGET) as channel:
            gateway = rg.RegistryServiceStub(channel)
            with self.assertRaises(grpc.RpcError) as missing:
                gateway.BatchGetInstitutions(
                    r.BatchGetInstitutionsRequest(names=["institutions/py-none-1", "institutions/py-none-2"]),
                    metadata=(("authorization", "Bearer py-token"),))
            status = rpc_status(missing.exception)
            self.assertEqual(missing.exception.code(), grpc.StatusCode.NOT_FOUND)
            self.assertEqual(detail(status, error_details_pb2.BadRequest).field_violations[0].field, "names[0]")
            self.assertEqual(detail(status, error_details_pb2.ResourceInfo).resource_name,
                             "institutions/py-none-1")
            self.assertEqual(detail(status, error_details_pb2.ErrorInfo).reason, "RESOURCE_NOT_FOUND")
            with self.assertRaises(grpc.RpcError) as anonymous:
                gateway.ListInstitutions(r.ListInstitutionsRequest())
            self.assertEqual(detail(rpc_status(anonymous.exception), error_details_pb2.ErrorInfo).reason,
                             "UNAUTHENTICATED")


def _read(name):
    with open(os.path.join(TLS_DIR, name), "rb") as f:
        return f.read()


class RegistryOverMutualTlsFromPython(unittest.TestCase):
    """How a Python internal client calls a service directly: the suite's CA and the
    internal-tools client certificate (deploy/local/up.sh puts them in .imp-local/tls)."""

    @classmethod
    def setUpClass(cls):
        credentials = grpc.ssl_channel_credentials(
            root_certificates=_read("ca.pem"),
            private_key=_read("impctl-internal.key"),
            certificate_chain=_read("impctl-internal.pem"))
        cls.channel = grpc.secure_channel(TLS_TARGET, credentials)
        cls.stub = rg.RegistryServiceStub(cls.channel)

    def test_the_internal_certificate_is_recorded_whatever_actor_it_claims(self):
        created = self.stub.CreateInstitution(r.CreateInstitutionRequest(
            institution_id="py-tls-lutsk",
            institution=r.Institution(display_name="Lutsk City Hospital",
                                      kind=r.Institution.KIND_HOSPITAL, country="UA", region="UA-07")),
            metadata=(("x-imp-actor", "office-admin"),), timeout=10)
        history = self.stub.ListChanges(r.ListChangesRequest(name=created.name), timeout=10)
        self.assertEqual([c.actor for c in history.changes], ["peer:impctl-internal"])

    def test_a_client_without_a_certificate_is_refused(self):
        without_certificate = grpc.ssl_channel_credentials(root_certificates=_read("ca.pem"))
        for channel in (grpc.insecure_channel(TLS_TARGET),
                        grpc.secure_channel(TLS_TARGET, without_certificate)):
            with channel:
                with self.assertRaises(grpc.RpcError) as refused:
                    rg.RegistryServiceStub(channel).ListInstitutions(
                        r.ListInstitutionsRequest(), timeout=10)
                self.assertEqual(refused.exception.code(), grpc.StatusCode.UNAVAILABLE)


if __name__ == "__main__":
    unittest.main(verbosity=2)
