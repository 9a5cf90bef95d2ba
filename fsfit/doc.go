// Package fsfit fits few-spikes (FS) neurons to activation functions.
//
// An FS neuron with K time steps has, per step t, a threshold T[t], a reset
// amount h[t] and an output weight d[t]. On input x it runs
//
//	v = x; out = 0
//	for t = 0 .. K-1:
//	    z = 1 if v > T[t] else 0
//	    out += d[t] * z
//	    v   -= h[t] * z
//
// and out replaces f(x). The package holds the activation catalogue (exact
// f and a default input range), the parameter type, the initialisations
// (random, Stöckl & Maass's released parameters, Jeong et al.'s TBPI, and
// the project's own "auto"), the trainer (back-propagation through the K
// steps with the pseudo-derivative max(0, 1-|v-T[t]|), Adam), an exact
// least-squares solve for d (the output is linear in d for fixed h and T),
// an exact coordinate search over thresholds, error metrics, and an
// embedded library of pre-fitted parameters.
package fsfit
