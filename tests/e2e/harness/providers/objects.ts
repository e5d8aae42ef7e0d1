/**
 * docker:index/network:Network and docker:index/volume:Volume, as
 * @pulumi/docker 5.x (terraform-provider-docker 4.x) realizes them: every
 * input is ForceNew, so any change replaces; deletion retries while the
 * object is still in use (30 s, like the provider).
 */
import { engine, isNotFound } from "../docker";
import { StoredResource } from "../state";
import { Plan, ProviderContext, Realized, ResourceProvider } from "../types";
import { changedKeys, isSet, retryUntil } from "../util";

export function refuseUnknown(type: string, name: string, inputs: Record<string, any>, known: string[], refused: string[] = []): void {
    for (const [key, value] of Object.entries(inputs)) {
        if (refused.includes(key)) {
            if (isSet(value)) throw new Error(`e2e harness: ${type} ${name}: input "${key}" is set but the harness does not implement it`);
            continue;
        }
        if (!known.includes(key) && isSet(value)) {
            throw new Error(`e2e harness: ${type} ${name}: unknown input "${key}" (not implemented by the harness)`);
        }
    }
}

export function refuseUnknownFields(where: string, value: Record<string, any> | undefined, known: string[]): void {
    for (const [key, v] of Object.entries(value ?? {})) {
        if (!known.includes(key) && isSet(v)) throw new Error(`e2e harness: ${where}: field "${key}" is set but the harness does not implement it`);
    }
}

export function labelMap(labels: { label: string; value: string }[] | undefined): Record<string, string> | undefined {
    if (!labels || labels.length === 0) return undefined;
    return Object.fromEntries(labels.map((l) => [l.label, l.value]));
}

function forceNewPlan(old: StoredResource, inputs: Record<string, any>): Plan {
    const changed = changedKeys(old.inputs, inputs);
    return { kind: changed.length === 0 ? "same" : "replace", changed };
}

const NETWORK = "docker:index/network:Network";

export const networkProvider: ResourceProvider = {
    autoNamed: true,
    check(name, inputs) {
        refuseUnknown(NETWORK, name, inputs, ["name", "driver", "internal", "ipv6", "ipamConfigs", "ipamDriver", "ipamOptions", "options", "labels", "attachable", "ingress"]);
        for (const cfg of inputs.ipamConfigs ?? []) refuseUnknownFields(`${NETWORK} ${name}: ipamConfigs`, cfg, ["subnet", "ipRange", "gateway", "auxAddress"]);
    },
    async plan(_ctx, old, inputs) {
        return forceNewPlan(old, inputs);
    },
    async create(ctx, inputs): Promise<Realized> {
        const name: string = inputs.name ?? ctx.autoName;
        const ipam = inputs.ipamConfigs?.length || inputs.ipamDriver || inputs.ipamOptions
            ? {
                  Driver: inputs.ipamDriver || "default",
                  Config: (inputs.ipamConfigs ?? []).map((c: any) => ({
                      Subnet: c.subnet || undefined,
                      IPRange: c.ipRange || undefined,
                      Gateway: c.gateway || undefined,
                      AuxiliaryAddresses: c.auxAddress,
                  })),
                  Options: inputs.ipamOptions,
              }
            : undefined;
        // The provider sends no CheckDuplicate; the engine refuses a second
        // local network of the same name anyway.
        const created = await engine().createNetwork({
            Name: name,
            Driver: inputs.driver || undefined,
            Options: inputs.options,
            Internal: Boolean(inputs.internal),
            Attachable: Boolean(inputs.attachable),
            Ingress: Boolean(inputs.ingress),
            ...(inputs.ipv6 ? { EnableIPv6: true } : {}),
            IPAM: ipam,
            Labels: labelMap(inputs.labels),
        });
        const net = await created.inspect();
        return {
            id: created.id,
            outputs: {
                ...inputs,
                name,
                driver: net.Driver,
                scope: net.Scope,
                internal: net.Internal,
                ipamConfigs: (net.IPAM?.Config ?? []).map((c: any) => ({ subnet: c.Subnet, ipRange: c.IPRange, gateway: c.Gateway })),
            },
        };
    },
    async update() {
        throw new Error("e2e harness: networks are never updated in place");
    },
    async delete(_ctx: ProviderContext, record) {
        await retryUntil(`removing network ${record.outputs.name} (it still has endpoints: detach test stand-ins before destroying)`, 30_000, 500, async () => {
            try {
                await engine().getNetwork(record.id).remove();
                return true;
            } catch (err) {
                if (isNotFound(err)) return true;
                if (/has active endpoints/.test((err as Error).message)) return false;
                throw err;
            }
        });
    },
    async exists(record) {
        try {
            await engine().getNetwork(record.id).inspect();
            return true;
        } catch (err) {
            if (isNotFound(err)) return false;
            throw err;
        }
    },
};

const VOLUME = "docker:index/volume:Volume";

export const volumeProvider: ResourceProvider = {
    autoNamed: true,
    check(name, inputs) {
        refuseUnknown(VOLUME, name, inputs, ["name", "driver", "driverOpts", "labels"], ["cluster"]);
    },
    async plan(ctx, old, inputs) {
        const plan = forceNewPlan(old, inputs);
        if (plan.kind === "replace" && inputs.name && inputs.name === old.inputs.name && !old.options.deleteBeforeReplace && !old.options.retainOnDelete) {
            // Create-before-delete of a named volume: the engine's VolumeCreate
            // returns the existing volume, and the old resource's delete then
            // removes the very volume the new one points at. Pulumi would do
            // exactly that; the harness refuses instead of losing data.
            throw new Error(
                `e2e harness: ${VOLUME} ${ctx.name}: ${plan.changed.join(", ")} changed, which replaces the volume, but it keeps the name ` +
                    `${inputs.name} without deleteBeforeReplace: the create would return the existing volume and the old resource's delete would remove it.`,
            );
        }
        return plan;
    },
    async create(ctx, inputs): Promise<Realized> {
        const name: string = inputs.name ?? ctx.autoName;
        const created = await engine().createVolume({ Name: name, Driver: inputs.driver || undefined, DriverOpts: inputs.driverOpts, Labels: labelMap(inputs.labels) ?? {} });
        const volume = await created.inspect();
        return { id: volume.Name, outputs: { ...inputs, name: volume.Name, driver: volume.Driver, mountpoint: volume.Mountpoint } };
    },
    async update() {
        throw new Error("e2e harness: volumes are never updated in place");
    },
    async delete(_ctx, record) {
        await retryUntil(`removing volume ${record.id} (still in use)`, 30_000, 500, async () => {
            try {
                await engine().getVolume(record.id).remove({ force: true });
                return true;
            } catch (err) {
                if (isNotFound(err)) return true;
                if (/volume is in use/.test((err as Error).message)) return false;
                throw err;
            }
        });
    },
    async exists(record) {
        try {
            await engine().getVolume(record.id).inspect();
            return true;
        } catch (err) {
            if (isNotFound(err)) return false;
            throw err;
        }
    },
};
