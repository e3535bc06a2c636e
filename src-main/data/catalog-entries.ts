/** The standard datasets the workbench can download: where from, and the checksums that prove it. */
export interface CatalogFile {
  name: string;
  md5: string;
  /** Bytes, when known: the progress bar's total before the server answers. */
  size?: number;
}

export interface CatalogEntry {
  name: 'mnist' | 'fashion-mnist' | 'cifar-10' | 'cifar-100';
  title: string;
  /** Base URLs tried in order; each file is `${base}${file.name}`. */
  mirrors: string[];
  files: CatalogFile[];
  /** Class names; empty when they come from the archive itself (CIFAR-100). */
  classes: string[];
  classCount: number;
  input: [number, number, number];
  trainCount: number;
  testCount: number;
  licence: string;
}

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export const CATALOG: CatalogEntry[] = [
  {
    name: 'mnist',
    title: 'MNIST',
    mirrors: ['https://ossci-datasets.s3.amazonaws.com/mnist/', 'https://storage.googleapis.com/cvdf-datasets/mnist/'],
    files: [
      { name: 'train-images-idx3-ubyte.gz', md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873', size: 9_912_422 },
      { name: 'train-labels-idx1-ubyte.gz', md5: 'd53e105ee54ea40749a09fcbcd1e9432', size: 28_881 },
      { name: 't10k-images-idx3-ubyte.gz', md5: '9fb629c4189551a2d022fa330f9573f3', size: 1_648_877 },
      { name: 't10k-labels-idx1-ubyte.gz', md5: 'ec29112dd5afa0611ce80d1b7f02629c', size: 4_542 },
    ],
    classes: DIGITS,
    classCount: 10,
    input: [28, 28, 1],
    trainCount: 60_000,
    testCount: 10_000,
    licence: 'CC BY-SA 3.0 (Yann LeCun and Corinna Cortes)',
  },
  {
    name: 'fashion-mnist',
    title: 'Fashion-MNIST',
    mirrors: ['http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/', 'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/'],
    files: [
      { name: 'train-images-idx3-ubyte.gz', md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d', size: 26_421_880 },
      { name: 'train-labels-idx1-ubyte.gz', md5: '25c81989df183df01b3e8a0aad5dffbe', size: 29_515 },
      { name: 't10k-images-idx3-ubyte.gz', md5: 'bef4ecab320f06d8554ea6380940ec79', size: 4_422_102 },
      { name: 't10k-labels-idx1-ubyte.gz', md5: 'bb300cfdad3c16e7a12a480ee83cd310', size: 5_148 },
    ],
    classes: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    classCount: 10,
    input: [28, 28, 1],
    trainCount: 60_000,
    testCount: 10_000,
    licence: 'MIT (Zalando Research)',
  },
  {
    name: 'cifar-10',
    title: 'CIFAR-10',
    mirrors: ['https://www.cs.toronto.edu/~kriz/'],
    files: [{ name: 'cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530', size: 170_052_171 }],
    classes: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'],
    classCount: 10,
    input: [32, 32, 3],
    trainCount: 50_000,
    testCount: 10_000,
    licence: 'free to use with citation (Krizhevsky, 2009)',
  },
  {
    name: 'cifar-100',
    title: 'CIFAR-100',
    mirrors: ['https://www.cs.toronto.edu/~kriz/'],
    files: [{ name: 'cifar-100-binary.tar.gz', md5: '03b5dce01913d631647c71ecec9e9cb8', size: 168_513_733 }],
    classes: [],
    classCount: 100,
    input: [32, 32, 3],
    trainCount: 50_000,
    testCount: 10_000,
    licence: 'free to use with citation (Krizhevsky, 2009)',
  },
];

export function catalogEntry(name: string): CatalogEntry | undefined {
  return CATALOG.find((entry) => entry.name === name);
}
