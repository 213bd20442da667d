"""Just enough protobuf to inspect and rewrite an ONNX model without the `onnx` package.

Used to check an export's graph signature and initializers, and to move weights into one
external data file (`model.onnx_data`) the way transformers.js expects for models over 2 GB.
Field numbers are from onnx/onnx.proto (ModelProto.graph = 7, GraphProto.initializer = 5, …).
"""

import os
from typing import Any

# wire types
VARINT, FIXED64, LEN, FIXED32 = 0, 1, 2, 5

# onnx.proto field numbers
MODEL_GRAPH = 7
GRAPH_NODE, GRAPH_INITIALIZER, GRAPH_INPUT, GRAPH_OUTPUT = 1, 5, 11, 12
VALUE_NAME, VALUE_TYPE = 1, 2
TYPE_TENSOR = 1
TENSOR_TYPE_ELEM, TENSOR_TYPE_SHAPE = 1, 2
SHAPE_DIM = 1
DIM_VALUE, DIM_PARAM = 1, 2
TENSOR_DIMS, TENSOR_DATA_TYPE, TENSOR_NAME, TENSOR_RAW_DATA, TENSOR_EXTERNAL_DATA, TENSOR_DATA_LOCATION = 1, 2, 8, 9, 13, 14
ENTRY_KEY, ENTRY_VALUE = 1, 2
NODE_OP_TYPE, NODE_ATTRIBUTE = 4, 5
ATTRIBUTE_TENSOR = 5
LOCATION_EXTERNAL = 1
ELEM_TYPES = {1: "float32", 6: "int32", 7: "int64", 9: "bool", 10: "float16", 11: "float64", 16: "bfloat16"}
ELEM_SIZES = {1: 4, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 16: 2}


def _varint(buf, pos):
    result = shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def _encode_varint(value):
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def parse(buf):
    """A message as a list of [field number, wire type, value] (value: int, or bytes for LEN)."""
    buf = memoryview(buf)
    fields, pos = [], 0
    while pos < len(buf):
        key, pos = _varint(buf, pos)
        field, wire = key >> 3, key & 7
        if wire == VARINT:
            value, pos = _varint(buf, pos)
        elif wire == FIXED64:
            value, pos = bytes(buf[pos : pos + 8]), pos + 8
        elif wire == FIXED32:
            value, pos = bytes(buf[pos : pos + 4]), pos + 4
        elif wire == LEN:
            n, pos = _varint(buf, pos)
            value, pos = buf[pos : pos + n], pos + n
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        fields.append([field, wire, value])
    return fields


def serialize(fields):
    out = bytearray()
    for field, wire, value in fields:
        out += _encode_varint(field << 3 | wire)
        if wire == VARINT:
            out += _encode_varint(value)
        elif wire == LEN:
            out += _encode_varint(len(value))
            out += value
        else:
            out += value
    return bytes(out)


def _get(fields: list[Any], number: int, default: Any = None) -> Any:
    for f, _, v in fields:
        if f == number:
            return v
    return default


def _all(fields, number):
    return [v for f, _, v in fields if f == number]


def _value_info(raw):
    fields = parse(raw)
    name = bytes(_get(fields, VALUE_NAME, b"")).decode()
    elem, dims = None, []
    type_proto = _get(fields, VALUE_TYPE)
    if type_proto is not None:
        tensor = _get(parse(type_proto), TYPE_TENSOR)
        if tensor is not None:
            tf = parse(tensor)
            elem = ELEM_TYPES.get(_get(tf, TENSOR_TYPE_ELEM))
            shape = _get(tf, TENSOR_TYPE_SHAPE)
            for dim in _all(parse(shape), SHAPE_DIM) if shape is not None else []:
                df = parse(dim)
                param = _get(df, DIM_PARAM)
                dims.append(bytes(param).decode() if param is not None else _get(df, DIM_VALUE))
    return {"name": name, "type": elem, "shape": dims}


def _tensor_info(raw):
    fields = parse(raw)
    dims = _all(fields, TENSOR_DIMS)
    data_type = _get(fields, TENSOR_DATA_TYPE)
    count = 1
    for d in dims:
        count *= d
    return {
        "name": bytes(_get(fields, TENSOR_NAME, b"")).decode(),
        "shape": dims,
        "type": ELEM_TYPES.get(data_type),
        "bytes": count * ELEM_SIZES.get(data_type, 0),
        "external": _get(fields, TENSOR_DATA_LOCATION) == LOCATION_EXTERNAL,
    }


def summarize(path):
    """{"inputs", "outputs": [{"name", "type", "shape"}], "initializers": [{"name", "shape", "bytes", …}], "ops": {op: count}}."""
    with open(path, "rb") as f:
        model = parse(f.read())
    graph = parse(_get(model, MODEL_GRAPH))
    ops = {}
    for node in _all(graph, GRAPH_NODE):
        op = bytes(_get(parse(node), NODE_OP_TYPE, b"")).decode()
        ops[op] = ops.get(op, 0) + 1
    return {
        "inputs": [_value_info(v) for v in _all(graph, GRAPH_INPUT)],
        "outputs": [_value_info(v) for v in _all(graph, GRAPH_OUTPUT)],
        "initializers": [_tensor_info(v) for v in _all(graph, GRAPH_INITIALIZER)],
        "ops": ops,
    }


def externalize(path, data_name, min_bytes=1024):
    """Move every initializer's data (inline raw_data, or the per-tensor files PyTorch writes for
    models over 2 GB) into one file `data_name` next to `path`, 4 KiB-aligned, and point the
    tensors at it. Returns the bytes written to the data file."""
    folder = os.path.dirname(os.path.abspath(path))
    with open(path, "rb") as f:
        model = parse(f.read())
    graph_index = next(i for i, (f, _, _) in enumerate(model) if f == MODEL_GRAPH)
    graph = parse(model[graph_index][2])
    data_path = os.path.join(folder, data_name)
    old_files = set()
    offset = 0
    with open(data_path + ".tmp", "wb") as out:
        for item in graph:
            if item[0] == GRAPH_NODE:
                item[2] = _inline_attribute_tensors(item[2], folder, old_files)
                continue
            if item[0] != GRAPH_INITIALIZER:
                continue
            tensor = parse(item[2])
            if _get(tensor, TENSOR_DATA_LOCATION) == LOCATION_EXTERNAL:
                data, source = _read_external(tensor, folder)
                if os.path.basename(source) != data_name:
                    old_files.add(source)
            else:
                data = _get(tensor, TENSOR_RAW_DATA)
                if data is None or len(data) < min_bytes:
                    continue  # small or typed-field tensors stay inline
            pad = -offset % 4096
            out.write(b"\0" * pad)
            offset += pad
            out.write(data)
            tensor = [t for t in tensor if t[0] not in (TENSOR_RAW_DATA, TENSOR_EXTERNAL_DATA, TENSOR_DATA_LOCATION)]
            for key, value in (("location", data_name), ("offset", str(offset)), ("length", str(len(data)))):
                entry = serialize([[ENTRY_KEY, LEN, key.encode()], [ENTRY_VALUE, LEN, value.encode()]])
                tensor.append([TENSOR_EXTERNAL_DATA, LEN, entry])
            tensor.append([TENSOR_DATA_LOCATION, VARINT, LOCATION_EXTERNAL])
            item[2] = serialize(tensor)
            offset += len(data)
        out.flush()
        os.fsync(out.fileno())
    model[graph_index][2] = serialize(graph)
    with open(path + ".tmp", "wb") as f:
        f.write(serialize(model))
    os.replace(data_path + ".tmp", data_path)
    os.replace(path + ".tmp", path)
    for old in old_files:
        os.remove(old)
    return offset


def _read_external(tensor, folder):
    """(bytes, path) of a tensor stored outside the model file."""
    entries = {}
    for e in _all(tensor, TENSOR_EXTERNAL_DATA):
        kv = parse(e)
        entries[bytes(_get(kv, ENTRY_KEY, b"")).decode()] = bytes(_get(kv, ENTRY_VALUE, b"")).decode()
    source = os.path.join(folder, entries["location"])
    with open(source, "rb") as src:
        src.seek(int(entries.get("offset", 0)))
        data = src.read(int(entries["length"])) if "length" in entries else src.read()
    return data, source


def _inline_attribute_tensors(node_raw, folder, old_files):
    """Constant nodes' tensors that PyTorch wrote to files of their own go back inline (they are small)."""
    node = parse(node_raw)
    changed = False
    for item in node:
        if item[0] != NODE_ATTRIBUTE:
            continue
        attribute = parse(item[2])
        for part in attribute:
            if part[0] != ATTRIBUTE_TENSOR:
                continue
            tensor = parse(part[2])
            if _get(tensor, TENSOR_DATA_LOCATION) != LOCATION_EXTERNAL:
                continue
            data, source = _read_external(tensor, folder)
            old_files.add(source)
            tensor = [t for t in tensor if t[0] not in (TENSOR_EXTERNAL_DATA, TENSOR_DATA_LOCATION)]
            tensor.append([TENSOR_RAW_DATA, LEN, data])
            part[2] = serialize(tensor)
            item[2] = serialize(attribute)
            changed = True
    return serialize(node) if changed else node_raw
