/** English text of the Inference screen; the lead merges it under the key `inference`. */
const inference = {
  title: 'Inference',
  subtitle: 'Drop images to see what each trained network predicts, and where it looked.',
  noRuns: 'No run has a checkpoint yet. Train one first: checkpoints are saved at the end of each epoch and when a run stops.',
  runs: 'Runs (choose several to compare them side by side)',
  topK: 'Top classes',
  checkpoint: {
    label: 'Checkpoint',
    best: 'Best',
    last: 'Last',
  },
  drop: {
    hint: 'Drop images or a folder anywhere on the window, or paste an image.',
    pick: 'Choose images…',
    release: 'Release to predict',
  },
  clear: 'Clear images',
  working: 'Predicting…',
  refused: 'Refused: {reason}',
  time: '{ms} ms',
  camOf: 'Grad-CAM of “{class}” at {layer}',
  downscaled: 'Very large picture: downscaled before sending.',
  cam: {
    class: 'Grad-CAM class',
    predicted: 'Predicted class',
    layer: 'Grad-CAM layer',
    defaultLayer: 'Default ({layer})',
    opacity: 'Heatmap opacity {value}%',
  },
  preprocessing: {
    title: 'Preprocessing (as in training)',
    input: 'Input',
    resize: 'Other sizes',
    mean: 'Mean',
    std: 'Std',
    source: 'From',
    resizeModes: { squash: 'squashed to fit', crop: 'centre-cropped', pad: 'padded' },
    sources: { checkpoint: 'saved with the checkpoint', recomputed: 'computed again from the run’s dataset' },
  },
  features: {
    title: 'Feature maps',
    shown: 'First {shown} of {total} channels, each scaled to its own range.',
  },
  se: {
    title: 'Squeeze-excitation weights',
    hint: 'How much this block scales each channel for this image (0 to 1).',
  },
  table: {
    title: 'Predictions for {count} images',
    image: 'Image',
    disagreeOnly: 'Only where the runs disagree',
    export: 'Export CSV',
  },
};

export default inference;
export type InferenceMessages = typeof inference;
