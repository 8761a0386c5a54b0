using Microsoft.ML;
using Microsoft.ML.Data;

namespace MLNetAdam.Benchmarks.Sparse;

/// <summary>
/// Synthetic text-like data, seeded: <c>rows</c> rows of <c>features</c> features with about <c>nnz</c> non-zeros each
/// (sorted, distinct indices), held as compressed sparse rows, and one of 10 classes. The signal: 30 % of a row's
/// non-zeros fall in its class's own block of features (class c owns features [c·B, (c+1)·B), B = min(1000, features/10)),
/// the rest anywhere; values are term counts 1–3, L2-normalized per row (as TF·IDF-style text features are).
/// </summary>
internal sealed class SparseTextData
{
    public const int Classes = 10;

    public SparseTextData(int rows, int features, int nnz, int seed)
    {
        Rows = rows;
        Features = features;
        var random = new Random(seed);
        int block = Math.Max(1, Math.Min(1000, features / Classes));
        RowStart = new long[rows + 1];
        Labels = new int[rows];
        var indices = new List<int>(checked(rows * nnz));
        var values = new List<float>(checked(rows * nnz));
        var row = new int[nnz];
        var counts = new float[nnz];
        for (int r = 0; r < rows; r++)
        {
            int label = random.Next(Classes);
            Labels[r] = label;
            for (int k = 0; k < nnz; k++)
                row[k] = random.NextDouble() < 0.3 ? label * block + random.Next(block) : random.Next(features);
            Array.Sort(row);
            int n = 0;
            for (int k = 0; k < nnz; k++)
                if (n == 0 || row[k] != row[n - 1])
                    row[n++] = row[k];
            double norm = 0;
            for (int k = 0; k < n; k++)
            {
                counts[k] = 1 + random.Next(3);
                norm += counts[k] * counts[k];
            }
            float scale = (float)(1 / Math.Sqrt(norm));
            for (int k = 0; k < n; k++)
            {
                indices.Add(row[k]);
                values.Add(counts[k] * scale);
            }
            RowStart[r + 1] = indices.Count;
        }
        Indices = indices.ToArray();
        Values = values.ToArray();
    }

    public int Rows { get; }
    public int Features { get; }
    public long[] RowStart { get; }
    public int[] Indices { get; }
    public float[] Values { get; }
    public int[] Labels { get; }

    public long NonZeros => RowStart[Rows];

    /// <summary>The first <paramref name="rows"/> rows as an <see cref="IDataView"/>: sparse <c>VBuffer</c>s, or the same rows densified.</summary>
    public IDataView View(int rows, bool dense) => new CsrDataView(this, Math.Min(rows, Rows), dense);

    /// <summary>
    /// <c>Label</c> (key of 10 values) and <c>Features</c> (vector of <c>Features</c> singles). Sparse: each row is a
    /// sparse <c>VBuffer</c> holding only its stored values. Dense: the same row scattered into a dense vector of all
    /// <c>Features</c> values (zeros included), which the trainer then stores densely.
    /// </summary>
    private sealed class CsrDataView : IDataView
    {
        private readonly SparseTextData _data;
        private readonly int _rows;
        private readonly bool _dense;

        public CsrDataView(SparseTextData data, int rows, bool dense)
        {
            _data = data;
            _rows = rows;
            _dense = dense;
            var b = new DataViewSchema.Builder();
            b.AddColumn("Label", new KeyDataViewType(typeof(uint), Classes));
            b.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, data.Features));
            Schema = b.ToSchema();
        }

        public bool CanShuffle => false;

        public DataViewSchema Schema { get; }

        public long? GetRowCount() => _rows;

        public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
            => new Cursor(this, columnsNeeded.Select(c => c.Index).ToHashSet());

        public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null)
            => [GetRowCursor(columnsNeeded, rand)];

        private sealed class Cursor(CsrDataView view, HashSet<int> active) : DataViewRowCursor
        {
            private long _position = -1;

            public override DataViewSchema Schema => view.Schema;
            public override long Position => _position;
            public override long Batch => 0;

            public override bool MoveNext()
            {
                if (_position + 1 >= view._rows)
                {
                    _position = view._rows;
                    return false;
                }
                _position++;
                return true;
            }

            public override bool IsColumnActive(DataViewSchema.Column column) => active.Contains(column.Index);

            public override ValueGetter<DataViewRowId> GetIdGetter()
                => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

            public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
            {
                var data = view._data;
                if (column.Index == 0)
                {
                    ValueGetter<uint> label = (ref uint v) => v = (uint)data.Labels[_position] + 1;
                    return (ValueGetter<TValue>)(Delegate)label;
                }
                int f = data.Features;
                ValueGetter<VBuffer<float>> features = view._dense
                    ? (ref VBuffer<float> v) =>
                    {
                        int start = (int)data.RowStart[_position], end = (int)data.RowStart[_position + 1];
                        var editor = VBufferEditor.Create(ref v, f);
                        editor.Values.Clear();
                        for (int k = start; k < end; k++)
                            editor.Values[data.Indices[k]] = data.Values[k];
                        v = editor.Commit();
                    }
                    : (ref VBuffer<float> v) =>
                    {
                        int start = (int)data.RowStart[_position], count = (int)data.RowStart[_position + 1] - start;
                        var editor = VBufferEditor.Create(ref v, f, count);
                        data.Indices.AsSpan(start, count).CopyTo(editor.Indices);
                        data.Values.AsSpan(start, count).CopyTo(editor.Values);
                        v = editor.Commit();
                    };
                return (ValueGetter<TValue>)(Delegate)features;
            }
        }
    }
}
