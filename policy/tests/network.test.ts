import { enclaveNetworkIsolated } from "../policies";
import { checkEnclaveNetwork } from "../policies/network";
import { compliantStack, mutated, pick } from "./fixtures";
import { violationsOf } from "./harness";

const OPT = "com.docker.network.bridge";

describe("enclave-network-isolated", () => {
    test("the compliant enclave network passes", async () => {
        expect(await violationsOf(enclaveNetworkIsolated, pick(compliantStack(), "enclave"))).toEqual([]);
    });

    test("egress and model networks are not its business", async () => {
        const egress = pick(compliantStack(), "egress");
        expect(await violationsOf(enclaveNetworkIsolated, egress)).toEqual([]);
    });

    test.each<[string, (i: Record<string, any>) => void, string]>([
        ["internal removed", (i) => delete i.internal, "enclave network must be internal: set internal: true (found internal: null); without it Docker gives the network a route to the internet"],
        ["internal false", (i) => (i.internal = false), "enclave network must be internal: set internal: true (found internal: false)"],
        ["IPv6 on", (i) => (i.ipv6 = true), "enclave network must not carry IPv6: remove ipv6 or set ipv6: false (found ipv6: true)"],
        ["macvlan driver", (i) => (i.driver = "macvlan"), 'enclave network must use the bridge driver: remove driver or set driver: "bridge" (found driver: "macvlan")'],
        ["inhibit_ipv4 removed", (i) => delete i.options[`${OPT}.inhibit_ipv4`], `set options["${OPT}.inhibit_ipv4"] to "true" (found no such option); with internal: true alone a container still reaches services on the host through the bridge gateway`],
        ["inhibit_ipv4 false", (i) => (i.options[`${OPT}.inhibit_ipv4`] = "false"), `set options["${OPT}.inhibit_ipv4"] to "true" (found "false")`],
        ["no options at all", (i) => delete i.options, `set options["${OPT}.inhibit_ipv4"] to "true" (found no such option)`],
        ["masquerade on", (i) => (i.options[`${OPT}.enable_ip_masquerade`] = "true"), `enclave network must not masquerade traffic out: set options["${OPT}.enable_ip_masquerade"] to "false" or remove it (found "true")`],
        ["gateway mode nat", (i) => (i.options[`${OPT}.gateway_mode_ipv4`] = "nat"), `enclave network's gateway must be isolated: set options["${OPT}.gateway_mode_ipv4"] to "isolated" or remove it (found "nat")`],
    ])("%s is refused", async (_label, mutate, expected) => {
        const violations = await violationsOf(enclaveNetworkIsolated, mutated("enclave", mutate));
        expect(violations).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
    });

    test("optional options may be absent", () => {
        const r = mutated("enclave", (i) => {
            delete i.options[`${OPT}.gateway_mode_ipv4`];
            delete i.options[`${OPT}.enable_ip_masquerade`];
            delete i.ipv6;
            delete i.driver;
        });
        expect(checkEnclaveNetwork(r.inputs)).toEqual([]);
    });

    test("options given as booleans are read as strings", () => {
        const r = mutated("enclave", (i) => (i.options[`${OPT}.inhibit_ipv4`] = true));
        expect(checkEnclaveNetwork(r.inputs)).toEqual([]);
    });
});
