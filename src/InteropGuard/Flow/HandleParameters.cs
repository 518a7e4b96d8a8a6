using System;
using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// Which parameters of a called method can take a raw handle to native code (IG1001's carriers), and which native
    /// function each one reaches. Both are properties of the method, not of the call: IG1001 asks them of every call of
    /// every body, where nearly every callee has no such parameter and a binding calls the same helpers thousands of times
    /// (OpenCvSharp: 17,555 calls with arguments to 5,829 methods a pass; TorchSharp: 865 calls of one constructor). Read
    /// once per method and compilation, so that a call's test is one lookup (<see cref="Of"/>), which says "none" for most.
    /// </summary>
    internal sealed class HandleParameters
    {
        private readonly InteropContext _context;
        private readonly HandleOwners _owners;

        // Per method (equal constructed methods share one entry): null when no parameter can carry a handle.
        private readonly ConcurrentDictionary<IMethodSymbol, HandleCallee?> _callees = ConcurrentTables.Create<IMethodSymbol, HandleCallee?>(SymbolEqualityComparer.Default);

        public HandleParameters(InteropContext context, HandleOwners owners)
        {
            _context = context;
            _owners = owners;
        }

        /// <summary>
        /// The handle-carrying parameters of <paramref name="method"/>, read from the parameters of the call's
        /// <paramref name="arguments"/> the first time (a call has an argument for every parameter, an omitted optional one
        /// included, and the public symbol builds a new parameter array at every read); null when it has none.
        /// </summary>
        public HandleCallee? Of(IMethodSymbol method, ImmutableArray<IArgumentOperation> arguments)
        {
            if (_callees.TryGetValue(method, out var callee))
            {
                return callee;
            }

            // Two threads may both read it; they read the same answer, and the first added is kept.
            return _callees.GetOrAdd(method, Read(method, arguments));
        }

        private HandleCallee? Read(IMethodSymbol method, ImmutableArray<IArgumentOperation> arguments)
        {
            Carrier[]? carriers = null;
            foreach (var argument in arguments)
            {
                if (argument.Parameter is not { } parameter)
                {
                    continue;
                }

                var carrier = CarrierOf(parameter, _owners);
                if (carrier != Carrier.None)
                {
                    // Sized for the parameters the call shows; a later call's parameter past the end is read alone.
                    var ordinal = parameter.Ordinal;
                    if (carriers == null || ordinal >= carriers.Length)
                    {
                        var grown = new Carrier[Math.Max(ordinal + 1, arguments.Length)];
                        carriers?.CopyTo(grown, 0);
                        carriers = grown;
                    }

                    carriers[ordinal] = carrier;
                }
            }

            return carriers == null ? null : new HandleCallee(_context, _owners, method, carriers);
        }

        /// <summary>
        /// What a parameter can carry: a raw handle, an array of handles or of structs holding one, taken by value; or a
        /// struct holding a handle (by value, <c>in</c> or <c>ref</c>) that a proxy read may fill (<see cref="ProxyOwners"/>).
        /// </summary>
        internal static Carrier CarrierOf(IParameterSymbol parameter, HandleOwners owners)
        {
            var type = parameter.Type;
            var carrier = Carrier.None;
            if (parameter.RefKind == RefKind.None
                && (HandleOwners.IsRawHandleType(type) || HandleOwners.IsRawHandleArray(type) || owners.IsRecordArray(type)))
            {
                carrier |= Carrier.Handle;
            }

            if (parameter.RefKind is RefKind.None or RefKind.In or RefKind.Ref && owners.IsRecord(type))
            {
                carrier |= Carrier.Proxy;
            }

            return carrier;
        }

        [Flags]
        internal enum Carrier : byte
        {
            None = 0,

            /// <summary>A raw handle or an array of them (or of structs holding one), by value: any argument of it.</summary>
            Handle = 1,

            /// <summary>A struct holding a handle: an argument that reads a proxy (<see cref="ProxyOwners.IsProxyRead"/>).</summary>
            Proxy = 2,
        }
    }

    /// <summary>
    /// A called method with at least one handle-carrying parameter (<see cref="HandleParameters"/>): which arguments of a
    /// call of it carry a handle, and the native function each parameter reaches, read on first need (the native-function
    /// table for the method, a wrapper's parameter summary for each parameter) and then kept.
    /// </summary>
    internal sealed class HandleCallee
    {
        // The native-function table's answer for the method before it is asked: the table may answer null.
        private static readonly object NotAsked = new object();

        private readonly InteropContext _context;
        private readonly HandleOwners _owners;
        private readonly HandleParameters.Carrier[] _carriers;
        private object? _native = NotAsked;

        // Per parameter, the native function it reaches, once read; a wrapper's answer is kept for the options scope it was
        // read in, and read again in another (a project whose trees have different options). Made at the first read: most
        // callees never receive a handle anything owns.
        private Reach?[]? _reached;

        public HandleCallee(InteropContext context, HandleOwners owners, IMethodSymbol method, HandleParameters.Carrier[] carriers)
        {
            _context = context;
            _owners = owners;
            _carriers = carriers;
            Method = method;
        }

        /// <summary>The method the entry was read from (or one equal to it).</summary>
        public IMethodSymbol Method { get; }

        /// <summary>
        /// Can this argument carry a handle into the method: an argument of a handle parameter, or a proxy read passed to a
        /// parameter that takes a handle-holding struct? A <c>params IntPtr[]</c> list (<c>f(2, a.Handle, b.Handle)</c>) is
        /// one argument whose value is the array the compiler makes of the elements: native code reads those handles during
        /// the call as it reads the elements of an explicit <c>new[] { a.Handle, b.Handle }</c>.
        /// </summary>
        public bool Carries(IArgumentOperation argument, IParameterSymbol parameter) => Carries(argument, parameter, argument.Value);

        /// <summary>
        /// <see cref="Carries(IArgumentOperation, IParameterSymbol)"/> where the argument's value is read as
        /// <paramref name="value"/>: what the code wrote, for an argument the control-flow graph holds in a capture.
        /// </summary>
        public bool Carries(IArgumentOperation argument, IParameterSymbol parameter, IOperation value)
        {
            var ordinal = parameter.Ordinal;

            // A parameter is always its call's target's (the ordinal indexes the entry); read alone should one not be.
            var carrier = ordinal < _carriers.Length ? _carriers[ordinal] : HandleParameters.CarrierOf(parameter, _owners);
            return (carrier & HandleParameters.Carrier.Handle) != 0
                   || ((carrier & HandleParameters.Carrier.Proxy) != 0 && ProxyOwners.IsProxyRead(value));
        }

        /// <summary>
        /// The native function a handle passed to <paramref name="parameter"/> reaches: the method itself when it is a
        /// native function, unless it documents the parameter as ignored (<paramref name="throughWrapper"/> false); otherwise
        /// the first native parameter the wrapper forwards it to that is not ignored (true). Null when none. A call through
        /// a delegate field that holds one P/Invoke (clrzmq4's <c>zmq.bind</c>, <see cref="HeldNativeFunctions"/>) is that
        /// P/Invoke's call: the answer then belongs to the field the call's <paramref name="instance"/> reads, not to the
        /// delegate type's <c>Invoke</c>, so it is not kept here.
        /// </summary>
        public NativeFunction? Reached(IParameterSymbol parameter, InteropScope scope, IOperation? instance, out bool throughWrapper)
        {
            var native = Native();
            var ordinal = parameter.Ordinal;
            if (native == null && Method.MethodKind == MethodKind.DelegateInvoke && HeldNativeFunctions.Of(_context).Of(instance) is { } held)
            {
                throughWrapper = false;
                return RetainingCatalogue.IgnoresParameter(held, ordinal) ? null : held;
            }

            throughWrapper = native == null;
            var reached = Volatile.Read(ref _reached);
            if (reached != null && ordinal < reached.Length && Volatile.Read(ref reached[ordinal]) is { } known && (known.Scope == null || known.Scope == scope))
            {
                return known.Function;
            }

            Reach reach;
            if (native != null)
            {
                reach = new Reach(null, RetainingCatalogue.IgnoresParameter(native, ordinal) ? null : native);
            }
            else
            {
                NativeFunction? used = null;
                var targets = ParameterSummaries.Of(_context).Get(parameter.OriginalDefinition, scope, 0).NativeTargets.Targets;
                for (var i = 0; i < targets.Count; i++)
                {
                    if (!RetainingCatalogue.IgnoresParameter(targets[i].Function, targets[i].Parameter.Ordinal))
                    {
                        used = targets[i].Function;
                        break;
                    }
                }

                reach = new Reach(scope, used);
            }

            // Two threads may both read it; they read the same answer. The first scope read is the one kept.
            reached ??= Interlocked.CompareExchange(ref _reached, new Reach?[_carriers.Length], null) ?? _reached!;
            if (ordinal < reached.Length)
            {
                Interlocked.CompareExchange(ref reached[ordinal], reach, null);
            }

            return reach.Function;
        }

        private NativeFunction? Native()
        {
            var native = Volatile.Read(ref _native);
            if (native == NotAsked)
            {
                native = _context.NativeFunctions.Get(Method);
                Volatile.Write(ref _native, native);
            }

            return (NativeFunction?)native;
        }

        private sealed class Reach
        {
            public Reach(InteropScope? scope, NativeFunction? function)
            {
                Scope = scope;
                Function = function;
            }

            /// <summary>The options scope a wrapper's answer was read in; null for a native function's, which has none.</summary>
            public InteropScope? Scope { get; }

            public NativeFunction? Function { get; }
        }
    }
}
