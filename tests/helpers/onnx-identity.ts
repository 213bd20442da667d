// The smallest ONNX model there is (y = Identity(x), one float), written as protobuf bytes by
// hand so that tests of the ONNX runtime's process-level behaviour (telemetry, files, sockets)
// need no Python, no torch and no download. Field numbers: onnx/onnx.proto (ModelProto,
// GraphProto, NodeProto, ValueInfoProto, TypeProto.Tensor, TensorShapeProto).

const varint = (n: number): number[] => {
  const out: number[] = [];
  let v = n;
  while (v > 127) {
    out.push((v & 127) | 128);
    v >>>= 7;
  }
  out.push(v);
  return out;
};
const tag = (field: number, wire: number) => varint((field << 3) | wire);
const bytesField = (field: number, bytes: number[]) => [...tag(field, 2), ...varint(bytes.length), ...bytes];
const stringField = (field: number, s: string) => bytesField(field, [...Buffer.from(s, 'utf8')]);
const intField = (field: number, n: number) => [...tag(field, 0), ...varint(n)];

/** ValueInfoProto: a float tensor of shape [1]. */
const floatVector = (name: string) => [
  ...stringField(1, name),
  ...bytesField(2, bytesField(1, [...intField(1, 1), ...bytesField(2, bytesField(1, intField(1, 1)))])),
];

/** An ONNX model (IR 7, opset 13) with input `x` and output `y` = x, both float[1]. */
export function identityOnnxModel(): Buffer {
  const node = [...stringField(1, 'x'), ...stringField(2, 'y'), ...stringField(4, 'Identity')];
  const graph = [
    ...bytesField(1, node),
    ...stringField(2, 'identity'),
    ...bytesField(11, floatVector('x')),
    ...bytesField(12, floatVector('y')),
  ];
  return Buffer.from([...intField(1, 7), ...bytesField(7, graph), ...bytesField(8, intField(2, 13))]);
}
