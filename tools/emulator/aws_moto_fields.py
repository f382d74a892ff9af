"""Two fields moto 5.2.5 drops that AWS returns, which the real hashicorp/aws provider
reads back: without them every `terraform plan` of examples/complete shows changes
that AWS would never show (tools/pipeline/run_pipeline.py asserts plans exit 0).

- ECS DescribeServices returns `availabilityZoneRebalancing` (ECS API Reference,
  Service): what CreateService/UpdateService set, ENABLED when a CreateService
  request leaves it out. moto neither stores nor returns it.
- EC2 DescribeSecurityGroupRules returns a rule's `Description` also when the rule
  references a security group (AuthorizeSecurityGroupIngress/Egress take it in
  `UserIdGroupPairs[].Description`, EC2 API Reference, SecurityGroupRule). moto keeps
  the description only for CIDR rules.

install() patches moto in place (idempotent); self_test() checks both through boto3.
"""

from __future__ import annotations

import functools
from typing import Any


def install() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule
    from moto.ecs.responses import EC2ContainerServiceResponse

    if getattr(EC2ContainerServiceResponse.create_service, "_bluegreen_fields", False):
        return

    def wrap(handler, default):
        @functools.wraps(handler)
        def patched(self: Any) -> Any:
            value = self._get_param("availabilityZoneRebalancing")
            result = handler(self)
            service = result.result["service"] if hasattr(result, "result") else None
            if service is None:  # the answer's shape differs from moto 5.2.5's: change nothing
                return result
            if value or not hasattr(service, "availability_zone_rebalancing"):
                service.availability_zone_rebalancing = value or default
            return result
        patched._bluegreen_fields = True
        return patched

    EC2ContainerServiceResponse.create_service = wrap(EC2ContainerServiceResponse.create_service, "ENABLED")
    EC2ContainerServiceResponse.update_service = wrap(EC2ContainerServiceResponse.update_service, "ENABLED")

    def description(self: Any) -> str | None:
        return self.ip_range.get("Description") or (self.source_group or {}).get("Description")

    SecurityGroupRule.description = property(description)


def self_test(client) -> list[str]:
    """Problems found through boto3 clients of a running emulator (client(service))."""
    problems = []
    ec2, ecs = client("ec2"), client("ecs")
    vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_security_group(GroupName="fields-a", Description="a", VpcId=vpc)["GroupId"]
    b = ec2.create_security_group(GroupName="fields-b", Description="b", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=a, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
        "UserIdGroupPairs": [{"GroupId": b, "Description": "from b"}]}])
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [a]}])["SecurityGroupRules"]
    if [r.get("Description") for r in rules if not r["IsEgress"]] != ["from b"]:
        problems.append(f"security group rule description not kept: {rules}")
    ecs.create_cluster(clusterName="fields")
    ecs.register_task_definition(family="fields", containerDefinitions=[{"name": "c", "image": "i", "memory": 64}])
    ecs.create_service(cluster="fields", serviceName="s", taskDefinition="fields", desiredCount=0,
                       availabilityZoneRebalancing="DISABLED")
    ecs.create_service(cluster="fields", serviceName="t", taskDefinition="fields", desiredCount=0)
    got = {s["serviceName"]: s.get("availabilityZoneRebalancing")
           for s in ecs.describe_services(cluster="fields", services=["s", "t"])["services"]}
    if got != {"s": "DISABLED", "t": "ENABLED"}:
        problems.append(f"availabilityZoneRebalancing: {got}")
    ecs.update_service(cluster="fields", service="t", availabilityZoneRebalancing="DISABLED")
    got = ecs.describe_services(cluster="fields", services=["t"])["services"][0].get("availabilityZoneRebalancing")
    if got != "DISABLED":
        problems.append(f"availabilityZoneRebalancing after UpdateService: {got}")
    for name in ("s", "t"):
        ecs.delete_service(cluster="fields", service=name, force=True)
    return problems
