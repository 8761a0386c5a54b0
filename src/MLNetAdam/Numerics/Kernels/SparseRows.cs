namespace MLNetAdam.Numerics.Kernels;

/// <summary>
/// A view of some rows of a compressed-sparse-row (CSR) matrix: row <c>r</c> of the view is row
/// <c>rowIds[r]</c> of the storage, whose stored entries are <c>indices/values[rowStart[id] .. rowStart[id + 1])</c>.
/// </summary>
internal readonly ref struct SparseRows
{
    private readonly ReadOnlySpan<int> _rowStart;
    private readonly ReadOnlySpan<int> _indices;
    private readonly ReadOnlySpan<float> _values;
    private readonly ReadOnlySpan<int> _rowIds;

    public SparseRows(ReadOnlySpan<int> rowStart, ReadOnlySpan<int> indices, ReadOnlySpan<float> values, ReadOnlySpan<int> rowIds)
    {
        _rowStart = rowStart;
        _indices = indices;
        _values = values;
        _rowIds = rowIds;
    }

    /// <summary>Number of rows in the view.</summary>
    public int Count => _rowIds.Length;

    /// <summary>The stored column indices and values of row <paramref name="r"/> of the view.</summary>
    public void GetRow(int r, out ReadOnlySpan<int> indices, out ReadOnlySpan<float> values)
    {
        int id = _rowIds[r];
        int start = _rowStart[id];
        int length = _rowStart[id + 1] - start;
        indices = _indices.Slice(start, length);
        values = _values.Slice(start, length);
    }
}
