// onnx-proto is the protobufjs build of onnx.proto (CommonJS); this module is its one import site.
import onnxProto from 'onnx-proto';

export const onnx = onnxProto.onnx;
export type ModelProto = onnxProto.onnx.ModelProto;
export type ValueInfoProto = onnxProto.onnx.IValueInfoProto;
export type TypeProto = onnxProto.onnx.ITypeProto;
export type NodeProto = onnxProto.onnx.INodeProto;
