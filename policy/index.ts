import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

// The SecureClaw guardrails. Run with: pulumi preview --policy-pack policy
// (see policy/README.md). The policies live in ./policies so tests can load
// them without starting the policy pack's gRPC server.
new PolicyPack("secureclaw-guardrails", {
    description: "Refuses a weakened SecureClaw enclave: network isolation, agent hardening, pinned images, a strict egress allowlist and no secrets on command lines.",
    enforcementLevel: "mandatory",
    policies: POLICIES,
});
