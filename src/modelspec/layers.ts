/**
 * Shape rules of the layer types a model spec may use (PyTorch's formulas), and their parameter counts.
 * `python-runner/mlwb/_modelspec.py` mirrors these rules; keep the two in step.
 */
export const LAYER_TYPES = [
  'conv2d', 'maxpool2d', 'avgpool2d', 'batchnorm2d', 'batchnorm1d', 'flatten', 'linear', 'dropout',
  'relu', 'leaky_relu', 'tanh', 'sigmoid', 'softmax',
] as const;
export type LayerType = (typeof LAYER_TYPES)[number];

export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
export const LOSSES = ['cross_entropy', 'nll', 'mse'] as const;
export const DATASETS = ['digits', 'mnist', 'csv'] as const;

/** [features] for a flat input, [channels, height, width] for an image. */
export type Shape = number[];

export function formatShape(s: Shape | undefined): string {
  return s ? s.join('×') : '?';
}

/** Conv/pool output size along one dimension (torch.nn.Conv2d / MaxPool2d docs, floor mode). */
export function windowOut(size: number, kernel: number, stride: number, padding: number, dilation = 1): number {
  return Math.floor((size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1);
}

export function conv2dParams(inC: number, outC: number, k: [number, number], bias: boolean): number {
  return outC * inC * k[0] * k[1] + (bias ? outC : 0);
}

export function linearParams(inF: number, outF: number, bias: boolean): number {
  return inF * outF + (bias ? outF : 0);
}

/** Learnable weight and bias of a batch norm (running statistics are buffers, not parameters). */
export function batchnormParams(features: number): number {
  return 2 * features;
}

/** Classes and input shape of the built-in datasets (csv: read from the file at training time). */
export const DATASET_INFO: Record<'digits' | 'mnist', { input: Shape; classes: number; samples: number }> = {
  digits: { input: [1, 8, 8], classes: 10, samples: 1797 },
  mnist: { input: [1, 28, 28], classes: 10, samples: 60000 },
};
