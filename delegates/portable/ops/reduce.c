// Portable kernels of sum, mean and max. The input's dims split into kept dims (the output's
// order) and reduced dims; an outer sy_iter walks the kept dims, an inner one the reduced dims
// of each output element. Merging makes a last-axis reduction one contiguous row per output.
// Float sums accumulate in double; integer sums wrap like the output dtype would.

#include "delegates/portable/ops/common.h"

typedef enum redop { RED_SUM, RED_MEAN, RED_MAX } redop;

// Bit i set: axis i is reduced (attribute `axes`, absent = all). The rule has validated it.
static sy_status reduced_axes(const sy_node_info *node, uint32_t rank, uint32_t *mask_out) {
    const int64_t *axes;
    uint32_t n, mask = 0;
    SY_TRY(sy_attr_get_ints(node, "axes", 0, &axes, &n));
    if (!axes) mask = (1u << rank) - 1u;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t a;
        SY_TRY(sy_normalize_axis(axes[i], rank, "attribute 'axes' entry", &a));
        mask |= 1u << a;
    }
    *mask_out = mask;
    return SY_OK;
}

// Reduces the elements of x at base + the offsets `in` walks. `in` is reset first.
static double reduce_float(redop op, const sy_tensor *x, int64_t base, sy_iter *in) {
    double acc = op == RED_MAX ? -INFINITY : 0.0;
    sy_iter_reset(in);
    for (int64_t r = 0; r < in->n_rows; r++, sy_iter_next_row(in)) {
        int64_t o = base + in->off[0], s = in->step[0];
        if (x->dtype == SY_DTYPE_F32) {
            const float *p = (const float *)x->data + o;
            if (op == RED_MAX) {
                for (int64_t j = 0; j < in->row_len; j++)
                    if (p[j * s] > acc || p[j * s] != p[j * s]) acc = p[j * s]; // NaN wins
            } else {
                for (int64_t j = 0; j < in->row_len; j++) acc += p[j * s];
            }
        } else {
            for (int64_t j = 0; j < in->row_len; j++) {
                double v = sy_load_f_inline(x, o + j * s);
                if (op != RED_MAX) acc += v;
                else if (v > acc || v != v) acc = v;
            }
        }
        if (op == RED_MAX && acc != acc) return acc;
    }
    return acc;
}

static int64_t reduce_int(redop op, const sy_tensor *x, int64_t base, sy_iter *in) {
    uint64_t sum = 0; // unsigned so that overflow wraps instead of being undefined
    int64_t max = INT64_MIN;
    sy_iter_reset(in);
    for (int64_t r = 0; r < in->n_rows; r++, sy_iter_next_row(in)) {
        int64_t o = base + in->off[0], s = in->step[0];
        for (int64_t j = 0; j < in->row_len; j++) {
            int64_t v = sy_load_i_inline(x, o + j * s);
            sum += (uint64_t)v;
            if (v > max) max = v;
        }
    }
    return op == RED_MAX ? max : (int64_t)sum;
}

static sy_status reduce(redop op, const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    const sy_tensor *x = &inputs[0];
    sy_tensor *y = &outputs[0];
    uint32_t mask;
    SY_TRY(reduced_axes(node, x->rank, &mask));

    int64_t xs[SY_MAX_RANK];
    sy_contiguous_strides(x->dims, x->rank, xs);
    int64_t kept_dims[SY_MAX_RANK], kept_strides[SY_MAX_RANK]; // kept dims, input strides
    int64_t red_dims[SY_MAX_RANK], red_strides[SY_MAX_RANK];   // reduced dims, input strides
    uint32_t n_kept = 0, n_red = 0;
    int64_t count = 1; // elements per output
    for (uint32_t i = 0; i < x->rank; i++) {
        if (mask & (1u << i)) {
            red_dims[n_red] = x->dims[i];
            red_strides[n_red++] = xs[i];
            count *= x->dims[i];
        } else {
            kept_dims[n_kept] = x->dims[i];
            kept_strides[n_kept++] = xs[i];
        }
    }
    const int64_t *ks[1] = {kept_strides}, *rs[1] = {red_strides};
    sy_iter out_it, in_it;
    sy_iter_init(&out_it, n_kept, kept_dims, 1, ks);
    sy_iter_init(&in_it, n_red, red_dims, 1, rs);

    int is_float = sy_dtype_is_float(x->dtype);
    int64_t yi = 0; // the output is contiguous in kept-dim order
    for (int64_t r = 0; r < out_it.n_rows; r++, sy_iter_next_row(&out_it)) {
        for (int64_t j = 0; j < out_it.row_len; j++, yi++) {
            int64_t base = out_it.off[0] + j * out_it.step[0];
            if (is_float) {
                double v = reduce_float(op, x, base, &in_it);
                if (op == RED_MEAN) v /= (double)count;
                sy_store_f_inline(y, yi, (float)v);
            } else {
                sy_store_i_inline(y, yi, reduce_int(op, x, base, &in_it));
            }
        }
    }
    return SY_OK;
}

sy_status sy_portable_SUM(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return reduce(RED_SUM, node, inputs, outputs);
}
sy_status sy_portable_MEAN(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return reduce(RED_MEAN, node, inputs, outputs);
}
sy_status sy_portable_MAX(const sy_node_info *node, const sy_tensor *inputs, sy_tensor *outputs) {
    return reduce(RED_MAX, node, inputs, outputs);
}
