/** 推理页面的简体中文文本；由负责人合并到 `inference` 键下。 */
import type { InferenceMessages } from './inference.en';

const inference: InferenceMessages = {
  title: '推理',
  subtitle: '拖入图像，查看每个已训练网络的预测结果，以及它关注的位置。',
  noRuns: '还没有带检查点的运行。请先训练：每个轮次结束和运行停止时都会保存检查点。',
  runs: '运行（可选多个并排比较）',
  topK: '前几类',
  checkpoint: {
    label: '检查点',
    best: '最佳',
    last: '最新',
  },
  drop: {
    hint: '将图像或文件夹拖到窗口任意位置，或粘贴图像。',
    pick: '选择图像…',
    release: '松开即可预测',
  },
  clear: '清除图像',
  working: '正在预测…',
  refused: '已拒绝：{reason}',
  time: '{ms} 毫秒',
  camOf: '“{class}” 在 {layer} 的 Grad-CAM',
  downscaled: '图像过大：发送前已缩小。',
  cam: {
    class: 'Grad-CAM 类别',
    predicted: '预测类别',
    layer: 'Grad-CAM 层',
    defaultLayer: '默认（{layer}）',
    opacity: '热力图不透明度 {value}%',
  },
  preprocessing: {
    title: '预处理（与训练相同）',
    input: '输入',
    resize: '其他尺寸',
    mean: '均值',
    std: '标准差',
    source: '来源',
    resizeModes: { squash: '拉伸适配', crop: '中心裁剪', pad: '填充' },
    sources: { checkpoint: '随检查点保存', recomputed: '根据运行的数据集重新计算' },
  },
  features: {
    title: '特征图',
    shown: '显示 {total} 个通道中的前 {shown} 个，每个按自身范围缩放。',
  },
  se: {
    title: 'SE 通道权重',
    hint: '该模块对此图像每个通道的缩放程度（0 到 1）。',
  },
  table: {
    title: '{count} 张图像的预测',
    image: '图像',
    disagreeOnly: '只看运行结果不一致的',
    export: '导出 CSV',
  },
};

export default inference;
