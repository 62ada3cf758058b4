"""moto_server with small patches for moto 5.2.1 gaps that make our deployment
fail or drift. Run it like moto_server:  python3 patched_moto_server.py -H 127.0.0.1 -p 5000

Each patch is proven by __tests__/e2e/moto-patches.test.ts: against plain
moto_server the test shows the gap, against this server the fix. Remove a
patch when that test's "gap" half starts failing on a newer moto (the gap is
fixed upstream), and pin the newer moto in .ci/run's message and docs/e2e.md.

Patches change moto's behaviour only for the requests they name; everything
else is moto as released.
"""
import json
import os
import re
import sys

import moto
from moto.server import main

EXPECTED_MOTO = "5.2.1"


def patch_account_from_access_key():
    """Gap: moto serves every request whose access key it did not issue from
    its single default account 123456789012 (it only recognises 20-character
    access key IDs), so one server cannot emulate two accounts and the AWS
    provider's `allowed_account_ids` check fails for any other account ID.
    Fix (LocalStack's convention): a SigV4 request signed with a 12-digit
    access key ID is served from that account, unless MOTO_ACCOUNT_ID or the
    x-moto-account-id header names one. Other requests resolve as before.
    Remove when moto selects the account from a 12-digit access key ID."""
    from moto.core.responses import BaseResponse

    original = BaseResponse.get_current_account
    account_key = re.compile(r"Credential=(\d{12})/")

    def get_current_account(self):
        # moto's own explicit choices (MOTO_ACCOUNT_ID, the x-moto-account-id header) still win.
        if "MOTO_ACCOUNT_ID" in os.environ or "x-moto-account-id" in self.headers:
            return original(self)
        match = account_key.search(self.headers.get("Authorization", ""))
        return match.group(1) if match else original(self)

    BaseResponse.get_current_account = get_current_account


def patch_cloudtrail_trail_arn():
    """Gap: StartLogging, StopLogging and DeleteTrail look the trail up by
    name only, and the AWS provider passes the trail ARN: StartLogging answers
    HTTP 500 (KeyError), so the apply of aws_cloudtrail fails, and DeleteTrail
    answers 200 but deletes nothing, so the trail outlives `destroy`. AWS
    accepts a name or an ARN for all three (CloudTrail API reference, "Name").
    Fix: resolve the name or ARN with the backend's own get_trail.
    Remove when moto's CloudTrailBackend start_logging/delete_trail use get_trail."""
    from moto.cloudtrail.models import CloudTrailBackend

    def start_logging(self, name):
        self.get_trail(name).start_logging()

    def stop_logging(self, name):
        self.get_trail(name).stop_logging()

    original_delete = CloudTrailBackend.delete_trail

    def delete_trail(self, name):
        trail = next((t for t in self.trails.values() if name in (t.trail_name, t.arn)), None)
        original_delete(self, trail.trail_name if trail else name)

    CloudTrailBackend.start_logging = start_logging
    CloudTrailBackend.stop_logging = stop_logging
    CloudTrailBackend.delete_trail = delete_trail


def patch_kms_rotation_period():
    """Gap: EnableKeyRotation ignores RotationPeriodInDays and
    GetKeyRotationStatus never returns it, so rotation_period_in_days reads
    back as 0 and every plan wants to change it (perpetual drift).
    Fix: store the period (AWS default 365 days) and return it while rotation
    is enabled, as AWS does (API reference, GetKeyRotationStatus).
    Remove when moto's GetKeyRotationStatus returns RotationPeriodInDays."""
    import json

    from moto.kms.responses import KmsResponse

    original_enable = KmsResponse.enable_key_rotation
    original_status = KmsResponse.get_key_rotation_status

    def key_of(response):
        backend = response.kms_backend
        return backend.keys[backend.get_key_id(response._get_param("KeyId"))]

    def enable_key_rotation(self):
        result = original_enable(self)
        key_of(self).rotation_period_in_days = self._get_param("RotationPeriodInDays") or 365
        return result

    def get_key_rotation_status(self):
        body = json.loads(original_status(self))
        if body.get("KeyRotationEnabled"):
            body["RotationPeriodInDays"] = getattr(key_of(self), "rotation_period_in_days", 365)
        return json.dumps(body)

    KmsResponse.enable_key_rotation = enable_key_rotation
    KmsResponse.get_key_rotation_status = get_key_rotation_status


def _keep_lambda_configuration_field(field, kept_of, shown_of):
    """Makes moto's LambdaFunction keep the configuration field `field` from
    CreateFunction and UpdateFunctionConfiguration (an update that does not
    name it keeps it) and return it in the function configuration, as AWS
    does. `kept_of` turns the request's value into what is kept (None or ""
    keeps nothing, which removes the field); `shown_of` turns what is kept
    into the response's value."""
    from moto.awslambda.models import LambdaFunction

    attribute = "_kept_" + field
    original_init = LambdaFunction.__init__
    original_get = LambdaFunction.get_configuration
    original_update = LambdaFunction.update_configuration

    def __init__(self, account_id, spec, region, version=1):
        original_init(self, account_id, spec, region, version)
        setattr(self, attribute, kept_of(spec.get(field)) or None)

    def get_configuration(self, on_create=False):
        config = original_get(self, on_create)
        kept = getattr(self, attribute, None)
        if kept:
            config[field] = shown_of(kept)
        return config

    def update_configuration(self, config_updates):
        result = original_update(self, config_updates)
        if field in config_updates:
            setattr(self, attribute, kept_of(config_updates[field]) or None)
            result = self.get_configuration()
        return result

    LambdaFunction.__init__ = __init__
    LambdaFunction.get_configuration = get_configuration
    LambdaFunction.update_configuration = update_configuration


def patch_lambda_kms_key_arn():
    """Gap: CreateFunction and UpdateFunctionConfiguration drop KMSKeyArn, and
    GetFunction never returns it, so the provider reads kms_key_arn back as
    empty: every plan wants to set it again (drift), and nothing can check the
    deployed function really uses the customer-managed key.
    Fix: keep KMSKeyArn from create and update (an empty string removes it)
    and return it in the function configuration, as AWS does.
    Remove when moto's LambdaFunction.get_configuration returns KMSKeyArn."""
    _keep_lambda_configuration_field("KMSKeyArn", lambda arn: arn, lambda arn: arn)


def patch_lambda_dead_letter_config():
    """Gap: CreateFunction and UpdateFunctionConfiguration drop DeadLetterConfig,
    and GetFunction never returns it, so the provider reads dead_letter_config
    back as empty: every plan wants to set it again (drift), and nothing can
    check the deployed function sends failed events to its queue.
    Fix: keep DeadLetterConfig from create and update (an empty TargetArn
    removes it) and return it in the function configuration, as AWS does.
    Remove when moto's LambdaFunction.get_configuration returns DeadLetterConfig."""
    _keep_lambda_configuration_field("DeadLetterConfig", lambda config: (config or {}).get("TargetArn"), lambda arn: {"TargetArn": arn})


def patch_s3_eventbridge_notification():
    """Gap: GetBucketNotificationConfiguration leaves out the
    EventBridgeConfiguration that PutBucketNotificationConfiguration stored,
    so the provider reads eventbridge back as false: every plan wants to set
    it again (drift), and nothing can check the bucket sends its events.
    Fix: add the (empty) EventBridgeConfiguration to the response when the
    bucket has one, as AWS does.
    Remove when moto's get_bucket_notification returns it."""
    from moto.s3.responses import S3Response

    original_get = S3Response.get_bucket_notification

    def get_bucket_notification(self):
        configuration = self.backend.get_bucket_notification_configuration(self.bucket_name)
        if configuration is None or configuration.event_bridge is None:
            return original_get(self)
        serialized = self.serialized

        def with_event_bridge(action_result):
            if isinstance(action_result.result, dict):
                action_result.result["EventBridgeConfiguration"] = {}
            return serialized(action_result)

        self.serialized = with_event_bridge
        try:
            return original_get(self)
        finally:
            del self.serialized

    S3Response.get_bucket_notification = get_bucket_notification


class _CodeSigningConfig:
    """A Lambda code signing configuration as the patch below keeps it."""

    def __init__(self, account_id, region, body):
        self.id = "csc-" + os.urandom(9).hex()[:17]
        self.arn = f"arn:aws:lambda:{region}:{account_id}:code-signing-config:{self.id}"
        self.description = body.get("Description", "")
        self.allowed_publishers = body.get("AllowedPublishers") or {"SigningProfileVersionArns": []}
        self.policies = body.get("CodeSigningPolicies") or {"UntrustedArtifactOnDeployment": "Warn"}
        self.tags = dict(body.get("Tags") or {})
        self.touch()

    def touch(self):
        import datetime

        self.last_modified = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000+0000")

    def to_dict(self):
        return {
            "CodeSigningConfigId": self.id,
            "CodeSigningConfigArn": self.arn,
            "Description": self.description,
            "AllowedPublishers": self.allowed_publishers,
            "CodeSigningPolicies": self.policies,
            "LastModified": self.last_modified,
        }


def patch_lambda_code_signing_configs():
    """Gap: moto has no code signing configurations: CreateCodeSigningConfig
    and the calls on one (Get, Update, Delete, and the tag calls on its ARN)
    are not routed, so an aws_lambda_code_signing_config cannot be created.
    Fix: keep code signing configurations per account and region (ID, ARN,
    description, allowed publishers, policies and tags), answer the four
    calls as the Lambda API reference describes, and let the tag calls find
    them by ARN. Like moto's CreateFunction (which keeps
    CodeSigningConfigArn), nothing checks a package's signature.
    Remove when moto routes /2020-04-22/code-signing-configs."""
    from moto.awslambda import urls
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda.responses import LambdaResponse
    from moto.core.exceptions import JsonRESTError

    urls.url_paths[r"{0}/(?P<api_version>[^/]+)/code-signing-configs/?$"] = LambdaResponse.dispatch
    urls.url_paths[r"{0}/(?P<api_version>[^/]+)/code-signing-configs/(?P<code_signing_config_arn>[^/]+)/?$"] = LambdaResponse.dispatch

    def configs_of(backend):
        if not hasattr(backend, "_code_signing_configs"):
            backend._code_signing_configs = {}
        return backend._code_signing_configs

    def find(backend, arn_or_id):
        from urllib.parse import unquote

        wanted = unquote(arn_or_id)
        for config in configs_of(backend).values():
            if wanted in (config.arn, config.id):
                return config
        raise JsonRESTError("ResourceNotFoundException", f"The code signing configuration cannot be found. Check that the provided configuration is not deleted: {wanted}.")

    def requested(response):
        return response.path.rstrip("/").rsplit("/", 1)[-1]

    def create_code_signing_config(self):
        config = _CodeSigningConfig(self.current_account, self.region, self.json_body)
        configs_of(self.backend)[config.arn] = config
        return 201, {}, json.dumps({"CodeSigningConfig": config.to_dict()})

    def get_code_signing_config(self):
        return 200, {}, json.dumps({"CodeSigningConfig": find(self.backend, requested(self)).to_dict()})

    def update_code_signing_config(self):
        config = find(self.backend, requested(self))
        body = self.json_body
        if "Description" in body:
            config.description = body["Description"]
        if "AllowedPublishers" in body:
            config.allowed_publishers = body["AllowedPublishers"]
        if "CodeSigningPolicies" in body:
            config.policies = body["CodeSigningPolicies"]
        config.touch()
        return 200, {}, json.dumps({"CodeSigningConfig": config.to_dict()})

    def delete_code_signing_config(self):
        config = find(self.backend, requested(self))
        del configs_of(self.backend)[config.arn]
        return 204, {}, ""

    original_resource_by_arn = LambdaBackend._get_resource_by_arn

    def _get_resource_by_arn(self, arn):
        if ":code-signing-config:" in arn:
            return find(self, arn)
        return original_resource_by_arn(self, arn)

    LambdaResponse.create_code_signing_config = create_code_signing_config
    LambdaResponse.get_code_signing_config = get_code_signing_config
    LambdaResponse.update_code_signing_config = update_code_signing_config
    LambdaResponse.delete_code_signing_config = delete_code_signing_config
    LambdaBackend._get_resource_by_arn = _get_resource_by_arn


def patch_s3_bucket_policy_secure_transport():
    """Gap: for object requests (PutObject, GetObject, ...) moto evaluates the
    bucket policy, but ignores every condition operator except StringEquals:
    the TLS-only statement every bucket of ours carries (Deny s3:* when
    aws:SecureTransport is "false") then denies every object request, so no
    object can be uploaded or read.
    Fix: a bucket policy statement conditioned on aws:SecureTransport with
    the Bool operator applies only when it names "true": the emulator stands
    in for AWS's HTTPS endpoints, which the provider and the SDKs use, while
    it serves plain HTTP on 127.0.0.1. Other statements keep moto's
    evaluation.
    Remove when moto evaluates Bool conditions in bucket policies and the
    emulator serves HTTPS."""
    from moto.iam.access_control import IAMPolicy
    from moto.s3.models import FakeBucket

    original_get_permission = FakeBucket.get_permission

    def applies_over_tls(statement):
        secure_transport = ((statement.get("Condition") or {}).get("Bool") or {}).get("aws:SecureTransport")
        if secure_transport is None:
            return True
        return "true" in [str(value).lower() for value in ([secure_transport] if isinstance(secure_transport, str) else secure_transport)]

    def get_permission(self, action, resource):
        if self.policy is None:
            return original_get_permission(self, action, resource)
        document = json.loads(self.policy.decode() if isinstance(self.policy, bytes) else self.policy)
        statements = document["Statement"] if isinstance(document["Statement"], list) else [document["Statement"]]
        document["Statement"] = [statement for statement in statements if applies_over_tls(statement)]
        return IAMPolicy(json.dumps(document)).is_action_permitted(action, resource)

    FakeBucket.get_permission = get_permission


def patch_signer_signing_jobs():
    """Gap: moto's Signer has signing profiles but no signing jobs:
    StartSigningJob and DescribeSigningJob are not routed, so an
    aws_signer_signing_job cannot be created and a function cannot deploy
    signed code.
    Fix: StartSigningJob checks the profile exists and is active and the
    source object version exists, copies that version to
    <destination prefix><job ID>.zip in the destination bucket, and keeps
    the job as "Succeeded"; DescribeSigningJob returns it. The copy is not
    signed: the emulator proves the deployment path (upload, signing job,
    function from the signed object), not a signature.
    Remove when moto routes /signing-jobs."""
    import time
    import uuid

    from moto.core.exceptions import JsonRESTError
    from moto.s3.models import s3_backends
    from moto.signer import urls
    from moto.signer.responses import SignerResponse

    urls.url_paths["{0}/signing-jobs$"] = SignerResponse.dispatch
    urls.url_paths["{0}/signing-jobs/(?P<job_id>[^/]+)$"] = SignerResponse.dispatch

    def jobs_of(backend):
        if not hasattr(backend, "_signing_jobs"):
            backend._signing_jobs = {}
        return backend._signing_jobs

    def start_signing_job(self):
        body = json.loads(self.body)
        profile = self.signer_backend.signing_profiles.get(body.get("profileName"))
        if profile is None or profile.status != "Active":
            raise JsonRESTError("ResourceNotFoundException", f"No active signing profile named {body.get('profileName')}")
        source = body["source"]["s3"]
        destination = body["destination"]["s3"]
        s3 = s3_backends[self.current_account]["aws"]
        package = s3.get_object(source["bucketName"], source["key"], version_id=source.get("version"))
        if package is None:
            raise JsonRESTError("ValidationException", f"Source object s3://{source['bucketName']}/{source['key']} version {source.get('version')} not found")
        job_id = str(uuid.uuid4())
        signed_key = f"{destination.get('prefix', '')}{job_id}.zip"
        s3.put_object(destination["bucketName"], signed_key, package.value)
        now = time.time()
        jobs_of(self.signer_backend)[job_id] = {
            "jobId": job_id,
            "source": body["source"],
            "signedObject": {"s3": {"bucketName": destination["bucketName"], "key": signed_key}},
            "profileName": profile.name,
            "profileVersion": profile.profile_version,
            "platformId": profile.platform_id,
            "platformDisplayName": "AWS Lambda",
            "status": "Succeeded",
            "statusReason": "Signing Succeeded",
            "createdAt": now,
            "completedAt": now,
            "signatureExpiresAt": now + 135 * 30 * 86400,
            "requestedBy": getattr(self, "current_account", ""),
            "jobOwner": self.current_account,
            "jobInvoker": self.current_account,
            "overrides": {},
            "signingMaterial": {},
            "signingParameters": {},
        }
        return json.dumps({"jobId": job_id, "jobOwner": self.current_account})

    def describe_signing_job(self):
        job_id = self.path.rstrip("/").rsplit("/", 1)[-1]
        job = jobs_of(self.signer_backend).get(job_id)
        if job is None:
            raise JsonRESTError("ResourceNotFoundException", f"Signing job {job_id} not found")
        return json.dumps(job)

    SignerResponse.start_signing_job = start_signing_job
    SignerResponse.describe_signing_job = describe_signing_job
def patch_s3_replication_rule_fields():
    """Gap: GetBucketReplication answers every rule with DeleteMarkerReplication
    Disabled and without the SourceSelectionCriteria that PutBucketReplication
    stored, so the provider reads delete_marker_replication as Disabled and
    source_selection_criteria as absent: every plan wants to change the
    aws_s3_bucket_replication_configuration again (drift), and nothing can
    check that SSE-KMS objects and delete markers are replicated.
    Fix: answer each rule with its stored DeleteMarkerReplication and
    SourceSelectionCriteria, as AWS does.
    Remove when moto's get_bucket_replication returns them."""
    from moto.s3.responses import S3Response

    original_get = S3Response.get_bucket_replication

    def get_bucket_replication(self):
        replication = self.backend.get_bucket_replication(self.bucket_name)
        if not replication:
            return original_get(self)
        stored = {rule.get("ID"): rule for rule in replication["Rule"]}
        serialized = self.serialized

        def with_stored_fields(action_result):
            if isinstance(action_result.result, dict):
                for rule in action_result.result["ReplicationConfiguration"]["Rules"]:
                    for field in ("DeleteMarkerReplication", "SourceSelectionCriteria"):
                        value = stored.get(rule["ID"], {}).get(field)
                        if isinstance(value, dict):
                            rule[field] = value
                        elif field == "SourceSelectionCriteria":
                            rule.pop(field, None)
            return serialized(action_result)

        self.serialized = with_stored_fields
        try:
            return original_get(self)
        finally:
            del self.serialized

    S3Response.get_bucket_replication = get_bucket_replication


def patch_iam_identity_policy_actions():
    """Gap: with IAM enforcement on (INITIAL_NO_AUTH_ACTION_COUNT, or a POST to
    /moto-api/reset-auth), moto checks each call's action against the
    caller's identity policies, but for every service except S3 and
    sts:AssumeRole it matches a statement's Resource against "*" instead of
    the resource the call names, and it takes a condition it has no value for
    as failed, which denies. A least-privilege policy, whose statements name
    ARNs and carry conditions, is refused every call.
    Fix, for identity policies only (trust policies keep moto's checks): an
    Allow statement applies when one of its actions matches; its Resource and
    Condition are not evaluated. The emulator then proves that a policy
    allows every action a caller makes; resources and conditions are left to
    a policy engine that knows them. Deny statements keep moto's behaviour.
    Remove when moto matches identity policies against each call's resource."""
    from moto.iam.access_control import IAMPolicyStatement, PermissionResult

    original = IAMPolicyStatement.is_action_permitted

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
        # Trust policies are evaluated with the caller as principal; identity policies without one.
        if principal is None and self._statement.get("Effect") == "Allow" and "Action" in self._statement:
            return PermissionResult.PERMITTED if self._check_element_matches("Action", action) else PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    IAMPolicyStatement.is_action_permitted = is_action_permitted


def patch_iam_action_names():
    """Gap: with IAM enforcement on, moto names a call's action after the
    service's signing name, so CloudWatch calls are checked as
    "monitoring:PutMetricAlarm", an action no policy grants (IAM's is
    "cloudwatch:PutMetricAlarm"); S3 names a few calls after their API
    operation, not their IAM action (HeadBucket is authorized as
    s3:ListBucket, the public access block calls as
    s3:GetBucketPublicAccessBlock / s3:PutBucketPublicAccessBlock); and a
    denied call of a JSON-protocol service
    answers with an XML body that clients cannot read, so the caller's error
    does not name the action.
    Fix: check CloudWatch calls as "cloudwatch:<action>" and those S3 calls
    by their IAM actions (moto checks other S3 calls it has no name for as
    s3:ListBucket or s3:CreateBucket, so S3 is checked less finely); refuse calls of
    JSON-protocol services with AWS's JSON AccessDeniedException; and write
    one line per checked call to the server's output,
    "iam-enforcement: allowed|denied <caller ARN> <action>", which names
    every action a caller used and the one it was refused (to the file
    MOTO_IAM_ENFORCEMENT_LOG names, if set).
    Remove when moto uses IAM's action prefix for CloudWatch and answers
    JSON-protocol services in JSON."""
    from moto.core.exceptions import JsonRESTError
    from moto.iam.access_control import IAMRequestBase

    json_services = {"kms", "logs", "lambda", "secretsmanager", "ssm", "cloudtrail", "signer"}

    original_init = IAMRequestBase.__init__
    original_check = IAMRequestBase.check_action_permitted

    s3_actions = {
        "s3:HeadBucket": "s3:ListBucket",
        "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
        "s3:PutPublicAccessBlock": "s3:PutBucketPublicAccessBlock",
        "s3:DeletePublicAccessBlock": "s3:PutBucketPublicAccessBlock",
    }

    def __init__(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        if self._action.startswith("monitoring:"):
            self._action = "cloudwatch:" + self._action[len("monitoring:"):]
        self._action = s3_actions.get(self._action, self._action)

    import threading

    output = threading.Lock()

    record_file = os.environ.get("MOTO_IAM_ENFORCEMENT_LOG")

    def report(decision, caller, action):
        # The server answers requests on several threads: one whole line at a time.
        line = f"iam-enforcement: {decision} {caller} {action}\n"
        with output:
            if record_file:
                with open(record_file, "a", encoding="utf-8") as records:
                    records.write(line)
            else:
                sys.stdout.write(line)
                sys.stdout.flush()

    def check_action_permitted(self, resource):
        caller = getattr(self._access_key, "arn", "unknown")
        try:
            original_check(self, resource)
        except Exception as error:
            report("denied", caller, self._action)
            if self._service in json_services and getattr(error, "code", None) == 403:
                denied = JsonRESTError("AccessDeniedException", f"User: {caller} is not authorized to perform: {self._action}")
                denied.code = 403
                raise denied from error
            raise
        report("allowed", caller, self._action)

    IAMRequestBase.__init__ = __init__
    IAMRequestBase.check_action_permitted = check_action_permitted


def patch_iam_signature_of_bodyless_requests():
    """Gap: with IAM enforcement on, moto recomputes each request's SigV4
    signature over the body or, when there is none, over the parameters it
    parsed, and for a request without a body or a query string those are the
    request's headers. A GET such as Lambda GetFunction, which every AWS SDK
    signs over an empty payload, then fails with 403 SignatureDoesNotMatch:
    the AWS provider cannot wait for a function it created.
    Fix: compute the signature of a GET, HEAD or DELETE without a body over
    the empty payload, as AWS does.
    Remove when moto signs body-less requests over an empty payload."""
    from botocore.awsrequest import AWSRequest
    from moto.iam.access_control import IAMRequestBase

    def _create_aws_request(self):
        signed_headers = self._get_string_between("SignedHeaders=", ",", self._headers["Authorization"]).split(";")
        headers = self._create_headers_for_aws_request(signed_headers, self._headers)
        # A form POST's body was parsed into data, so its raw body is empty: keep data there.
        body = self._body or ("" if self._method in ("GET", "HEAD", "DELETE") else self._data)
        request = AWSRequest(method=self._method, url=self._path, data=body, headers=headers)
        request.context["timestamp"] = headers["X-Amz-Date"]
        return request

    IAMRequestBase._create_aws_request = _create_aws_request


def patch_iam_signature_of_encoded_urls():
    """Gap: with IAM enforcement on, moto recomputes a request's SigV4
    signature over the URL as its web server hands it over, with some
    percent-encoded characters decoded (":" in a path segment, "/" in a
    query value), while the SDKs sign them encoded. A call that names a
    resource by ARN in its path (Lambda's GetCodeSigningConfig, ListTags on
    a code signing configuration), and an S3 listing with a prefix that has
    a "/" (ListObjectVersions when the provider deletes an object of a
    versioned bucket), fail with 403 SignatureDoesNotMatch.
    Fix: compute the signature over the URL encoded as the SDKs send it:
    every query value, and, for every service but S3 (whose keys are signed
    as they are sent), each path segment that is an ARN.
    Remove when moto signs over the URL as received."""
    from urllib.parse import quote, unquote

    from moto.iam.access_control import IAMRequestBase, S3IAMRequest

    original = IAMRequestBase._create_aws_request

    def encoded_segment(segment):
        return quote(unquote(segment), safe="") if unquote(segment).startswith("arn:") else segment

    def encoded_pair(pair):
        key, equals, value = pair.partition("=")
        return key + equals + quote(unquote(value), safe="-_.~")

    def _create_aws_request(self):
        path, question, query = self._path.partition("?")
        if not isinstance(self, S3IAMRequest):
            path = "/".join(encoded_segment(segment) for segment in path.split("/"))
        if query:
            query = "&".join(encoded_pair(pair) for pair in query.split("&"))
        received = self._path
        self._path = path + question + query
        try:
            return original(self)
        finally:
            self._path = received

    IAMRequestBase._create_aws_request = _create_aws_request


def patch_s3_logging_policy_lists():
    """Gap: PutBucketLogging checks that the target bucket's policy lets the
    S3 logging service write, but reads Principal.Service and Resource only
    as single strings, so a policy that lists them (["logging.s3.amazonaws.com"],
    [arn]) - valid IAM policy grammar, which S3 accepts - is refused with
    InvalidTargetBucketForLogging.
    Fix: check the same statement with each listed service and resource, and
    accept a resource that covers the target prefix (arn:…:bucket/<prefix>/*).
    Remove when moto's FakeBucket._log_permissions_enabled_policy reads lists."""
    from moto.s3.models import FakeBucket

    def as_list(value):
        return value if isinstance(value, list) else [value]

    def _log_permissions_enabled_policy(target_bucket, target_prefix):
        if not target_bucket.policy:
            return False
        bucket_arn = f"arn:{target_bucket.partition}:s3:::{target_bucket.name}"
        allowed = {f"{bucket_arn}/{target_prefix or ''}*", f"{bucket_arn}/*", bucket_arn}
        for stmt in json.loads(target_bucket.policy.decode())["Statement"]:
            services = as_list(stmt.get("Principal", {}).get("Service"))
            if stmt.get("Effect") != "Allow" or "logging.s3.amazonaws.com" not in services:
                continue
            if "s3:PutObject" not in as_list(stmt.get("Action", [])):
                continue
            if any(resource in allowed for resource in as_list(stmt.get("Resource"))):
                return True
        return False

    FakeBucket._log_permissions_enabled_policy = staticmethod(_log_permissions_enabled_policy)


def patch_logs_associate_kms_key():
    """Gap: AssociateKmsKey and DisassociateKmsKey are not implemented (HTTP 500,
    NotImplementedError), so a change of a log group's kms_key_id, as a manual
    key rotation makes, never completes: the provider retries until it times out.
    Fix: set or clear the group's key, which DescribeLogGroups already returns
    (API reference, AssociateKmsKey), and answer ResourceNotFoundException for
    an unknown group, as AWS does.
    Remove when moto implements AssociateKmsKey."""
    from moto.logs.exceptions import ResourceNotFoundException
    from moto.logs.responses import LogsResponse

    def group_of(response):
        groups = response.logs_backend.groups
        name = response._get_param("logGroupName")
        if name not in groups:
            raise ResourceNotFoundException()
        return groups[name]

    def associate_kms_key(self):
        group_of(self).kms_key_id = self._get_param("kmsKeyId")
        return ""

    def disassociate_kms_key(self):
        group_of(self).kms_key_id = None
        return ""

    LogsResponse.associate_kms_key = associate_kms_key
    LogsResponse.disassociate_kms_key = disassociate_kms_key


def patch_kms_replicate_key():
    """Gap: ReplicateKey ignores Policy, Description and Tags, and makes the
    replica a shallow copy of the primary: the replica shares the primary's
    aliases (creating the replica's own alias of the same name fails with
    AlreadyExistsException) and its multi-Region configuration (describing
    the replica turns the primary into a REPLICA as well).
    Fix: give the replica its own aliases, grants, policy (the one given, or
    the default key policy), description (the one given, or none: it is not
    a shared property), tags and multi-Region configuration, as AWS does
    (API reference, ReplicateKey).
    Remove when moto's ReplicateKey honours these parameters."""
    import copy

    from moto.kms.models import KmsBackend, kms_backends
    from moto.kms.responses import KmsResponse

    def replicate_key(self, key_id, replica_region, policy=None, description=None, tags=None):
        primary = self.keys[self.get_key_id(key_id)]
        replica = copy.copy(primary)
        replica.region = replica_region
        replica.arn = primary.arn.replace(f":{self.region_name}:", f":{replica_region}:", 1)
        replica.aliases = {}
        replica.grants = {}
        replica.policy = policy or replica.generate_default_policy()
        replica.description = description or ""
        replica.multi_region_configuration = copy.deepcopy(primary.multi_region_configuration)
        replica.multi_region_configuration["MultiRegionKeyType"] = "REPLICA"
        entry = {"Arn": replica.arn, "Region": replica_region}
        for configuration in (primary.multi_region_configuration, replica.multi_region_configuration):
            if entry not in configuration["ReplicaKeys"]:
                configuration["ReplicaKeys"].append(entry)
        target = kms_backends[self.account_id][replica_region]
        target.keys[replica.id] = replica
        if tags:
            target.tagger.tag_resource(replica.id, tags)
        return replica

    def replicate_key_response(self):
        key_id = self._get_param("KeyId")
        self._validate_key_id(key_id)
        tags = self._get_param("Tags") or []
        replica = self.kms_backend.replicate_key(
            key_id, self._get_param("ReplicaRegion"), self._get_param("Policy"), self._get_param("Description"), tags
        )
        return json.dumps({"ReplicaKeyMetadata": replica.to_dict()["KeyMetadata"], "ReplicaPolicy": replica.policy, "ReplicaTags": tags})

    KmsBackend.replicate_key = replicate_key
    KmsResponse.replicate_key = replicate_key_response


def patch_kms_multi_region_key_id():
    """Gap: a multi-Region key's ID is mrk- and a dashed UUID (40 characters),
    where AWS gives mrk- and 32 hex digits (36). A ciphertext records its key
    ID in a 36-byte field, so nothing encrypted under a multi-Region key
    decrypts, in any region (AccessDeniedException), and a check of AWS's
    key ARN format (the encrypt command's) refuses the key.
    Fix: AWS's format, mrk- and 32 hex digits (Developer Guide, multi-Region
    keys: "mrk-1234abcd12ab34cd56ef1234567890ab"), which requests may name
    the key by.
    Remove when moto generates AWS's format."""
    from moto.kms import models
    from moto.kms.exceptions import NotFoundException
    from moto.kms.responses import KmsResponse
    from moto.moto_api._internal import mock_random

    original_generate = models.generate_key_id
    original_validate = KmsResponse._validate_cmk_id

    def generate_key_id(multi_region=False):
        return "mrk-" + mock_random.uuid4().hex if multi_region else original_generate(False)

    def validate_cmk_id(self, key_id):
        if not re.match(r"^mrk-[0-9a-f]{32}$", key_id, re.IGNORECASE):
            return original_validate(self, key_id)
        if key_id not in self.kms_backend.keys:
            raise NotFoundException(f"Key '{self._display_arn(key_id)}' does not exist")

    models.generate_key_id = generate_key_id
    KmsResponse._validate_cmk_id = validate_cmk_id


PATCHES = [
    patch_account_from_access_key,
    patch_cloudtrail_trail_arn,
    patch_kms_rotation_period,
    patch_lambda_kms_key_arn,
    patch_lambda_dead_letter_config,
    patch_iam_identity_policy_actions,
    patch_iam_action_names,
    patch_iam_signature_of_bodyless_requests,
    patch_iam_signature_of_encoded_urls,
    patch_s3_logging_policy_lists,
    patch_s3_eventbridge_notification,
    patch_s3_replication_rule_fields,
    patch_logs_associate_kms_key,
    patch_kms_replicate_key,
    patch_kms_multi_region_key_id,
    patch_lambda_code_signing_configs,
    patch_s3_bucket_policy_secure_transport,
    patch_signer_signing_jobs,
]


def apply_patches():
    if moto.__version__ != EXPECTED_MOTO:
        sys.exit(
            f"patched_moto_server.py patches moto {EXPECTED_MOTO}, found {moto.__version__}: "
            f'install "moto[server]=={EXPECTED_MOTO}", or check each patch against the new version '
            "(run __tests__/e2e/moto-patches.test.ts) and update EXPECTED_MOTO"
        )
    for patch in PATCHES:
        patch()
    print(f"moto {moto.__version__} with patches: {', '.join(p.__name__ for p in PATCHES)}", flush=True)


if __name__ == "__main__":
    apply_patches()
    main(sys.argv[1:])
