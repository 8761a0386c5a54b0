namespace MLNetAdam.Persistence.Onnx;

/// <summary>
/// Field numbers and enum values of the ONNX protobuf messages we write and read, from onnx/onnx.proto
/// (github.com/onnx/onnx, <c>onnx/onnx.proto</c>; IR version 7).
/// </summary>
internal static class OnnxProto
{
    /// <summary>The IR version we write: 7 (IR_VERSION in onnx.proto as of ONNX 1.7).</summary>
    public const long IrVersion = 7;

    /// <summary>The version of the default ("ai.onnx") operator set we use.</summary>
    public const long OpsetVersion = 13;

    /// <summary><c>ModelProto</c>.</summary>
    public static class Model
    {
        public const int IrVersion = 1;
        public const int ProducerName = 2;
        public const int ProducerVersion = 3;
        public const int Domain = 4;
        public const int ModelVersion = 5;
        public const int DocString = 6;
        public const int Graph = 7;
        public const int OpsetImport = 8;
        public const int MetadataProps = 14;
    }

    /// <summary><c>OperatorSetIdProto</c>.</summary>
    public static class OperatorSetId
    {
        public const int Domain = 1;
        public const int Version = 2;
    }

    /// <summary><c>StringStringEntryProto</c>.</summary>
    public static class StringStringEntry
    {
        public const int Key = 1;
        public const int Value = 2;
    }

    /// <summary><c>GraphProto</c>.</summary>
    public static class Graph
    {
        public const int Node = 1;
        public const int Name = 2;
        public const int Initializer = 5;
        public const int DocString = 10;
        public const int Input = 11;
        public const int Output = 12;
        public const int ValueInfo = 13;
    }

    /// <summary><c>NodeProto</c>.</summary>
    public static class Node
    {
        public const int Input = 1;
        public const int Output = 2;
        public const int Name = 3;
        public const int OpType = 4;
        public const int Attribute = 5;
        public const int DocString = 6;
        public const int Domain = 7;
    }

    /// <summary><c>AttributeProto</c> and its <c>AttributeType</c> enum.</summary>
    public static class Attribute
    {
        public const int Name = 1;
        public const int F = 2;
        public const int I = 3;
        public const int S = 4;
        public const int Ints = 8;
        public const int Type = 20;

        public const long TypeFloat = 1;
        public const long TypeInt = 2;
        public const long TypeString = 3;
        public const long TypeInts = 7;
    }

    /// <summary><c>TensorProto</c> and its <c>DataType</c> enum.</summary>
    public static class Tensor
    {
        public const int Dims = 1;
        public const int DataType = 2;
        public const int FloatData = 4;
        public const int Int64Data = 7;
        public const int Name = 8;
        public const int RawData = 9;
        public const int DataLocation = 14;

        public const int TypeFloat = 1;
        public const int TypeInt64 = 7;
        public const int TypeBool = 9;
    }

    /// <summary><c>ValueInfoProto</c>.</summary>
    public static class ValueInfo
    {
        public const int Name = 1;
        public const int Type = 2;
    }

    /// <summary><c>TypeProto</c>, <c>TypeProto.Tensor</c>, <c>TensorShapeProto</c> and its <c>Dimension</c>.</summary>
    public static class Type
    {
        public const int TensorType = 1;
        public const int TensorElemType = 1;
        public const int TensorShape = 2;
        public const int ShapeDim = 1;
        public const int DimValue = 1;
        public const int DimParam = 2;
    }
}
