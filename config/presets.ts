/**
 * Model presets by size. A stack picks one with `model.size` and may override
 * any field (`model.huggingFaceId`, `model.maxModelLen`, ...).
 *
 * Sizes are chosen by GPU memory, not by benchmark: "small" fits one 24 GB
 * card, "medium" one 48-80 GB card, and the Qwen3-30B-A3B pair is the class the
 * original write-up runs on a DGX (FP8 on one 80 GB GPU, BF16 split across two).
 */
export interface ModelPreset {
    /** Hugging Face repository vLLM loads, e.g. "Qwen/Qwen3-4B-Instruct-2507". */
    huggingFaceId: string;
    /** Name vLLM serves the model under (`--served-model-name`); the gateway and the agent use it. */
    servedName: string;
    /** Context length vLLM allocates KV cache for (`--max-model-len`). */
    maxModelLen: number;
    /** GPUs the model is split across (`--tensor-parallel-size`); a power of two. */
    tensorParallelSize: number;
    /** Fraction of each GPU's memory vLLM may take (`--gpu-memory-utilization`). */
    gpuMemoryUtilization: number;
    /** vLLM tool-call parser (`--tool-call-parser`); Qwen3 instruct models speak the hermes format. */
    toolCallParser: string;
    /** Longest completion the agent asks for, in tokens. */
    maxOutputTokens: number;
}

export const MODEL_PRESETS = {
    small: {
        huggingFaceId: "Qwen/Qwen3-4B-Instruct-2507",
        servedName: "qwen3-4b",
        maxModelLen: 32768,
        tensorParallelSize: 1,
        gpuMemoryUtilization: 0.85,
        toolCallParser: "hermes",
        maxOutputTokens: 8192,
    },
    medium: {
        huggingFaceId: "Qwen/Qwen3-14B",
        servedName: "qwen3-14b",
        maxModelLen: 32768,
        tensorParallelSize: 1,
        gpuMemoryUtilization: 0.9,
        toolCallParser: "hermes",
        maxOutputTokens: 8192,
    },
    "qwen3-30b-a3b-fp8": {
        huggingFaceId: "Qwen/Qwen3-30B-A3B-Instruct-2507-FP8",
        servedName: "qwen3-30b-a3b",
        maxModelLen: 65536,
        tensorParallelSize: 1,
        gpuMemoryUtilization: 0.9,
        toolCallParser: "hermes",
        maxOutputTokens: 16384,
    },
    "qwen3-30b-a3b-bf16": {
        huggingFaceId: "Qwen/Qwen3-30B-A3B-Instruct-2507",
        servedName: "qwen3-30b-a3b",
        maxModelLen: 65536,
        tensorParallelSize: 2,
        gpuMemoryUtilization: 0.9,
        toolCallParser: "hermes",
        maxOutputTokens: 16384,
    },
} satisfies Record<string, ModelPreset>;

export type ModelSize = keyof typeof MODEL_PRESETS;

export const MODEL_SIZES = Object.keys(MODEL_PRESETS) as ModelSize[];
