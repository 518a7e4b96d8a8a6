using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// What a delegate parameter of a private method can hold: the lambdas and method groups its callers pass. A private
    /// method is called only from its own type, so every call site can be read; when each one passes a function written
    /// there, a call of the parameter runs one of those (<c>SetCompare(db, (lib, f) =&gt; lib.set_compare(db, f))</c> with
    /// <c>setter(lib, compare)</c> inside). Anything else — a delegate from a field or another parameter, the method used
    /// as a method group, the parameter assigned in the body — leaves the answer unknown (empty).
    /// </summary>
    internal sealed class PassedFunctions
    {
        private readonly InteropContext _context;
        private readonly ConcurrentDictionary<IParameterSymbol, ImmutableArray<IOperation>> _passed = ConcurrentTables.Create<IParameterSymbol, ImmutableArray<IOperation>>(SymbolEqualityComparer.Default);

        private PassedFunctions(InteropContext context)
        {
            _context = context;
        }

        /// <summary>The compilation's one instance, held by its context.</summary>
        public static PassedFunctions Of(InteropContext context) => context.Held.Get(c => new PassedFunctions(c));

        /// <summary>
        /// The functions (<see cref="IAnonymousFunctionOperation"/> or <see cref="IMethodReferenceOperation"/>) every call of
        /// <paramref name="parameter"/>'s method passes for it, at least one; empty when some call site, or the method's
        /// own body, leaves it open.
        /// </summary>
        public ImmutableArray<IOperation> For(IParameterSymbol parameter, IOperation body)
        {
            if (parameter.RefKind != RefKind.None || parameter.Type.TypeKind != TypeKind.Delegate
                || parameter.ContainingSymbol is not IMethodSymbol { MethodKind: MethodKind.Ordinary, DeclaredAccessibility: Accessibility.Private, IsVirtual: false, IsAbstract: false, IsOverride: false } method
                || method.ContainingType == null || method.IsGenericMethod || IsWritten(body, parameter))
            {
                return ImmutableArray<IOperation>.Empty;
            }

            return _passed.GetOrAdd(parameter.OriginalDefinition, p => Collect((IMethodSymbol)p.ContainingSymbol, p.Ordinal));
        }

        // Assigned, or written another way (OperationTree.IsOtherWrite: compound, ??=, ref/out, deconstruction): the body may
        // call something else than what the callers passed.
        private static bool IsWritten(IOperation body, IParameterSymbol parameter)
            => body.Descendants().OfType<IParameterReferenceOperation>().Any(r => SymbolEqualityComparer.Default.Equals(r.Parameter, parameter)
                   && ((r.Parent is ISimpleAssignmentOperation { } a && a.Target == r) || OperationTree.IsOtherWrite(r)));

        private ImmutableArray<IOperation> Collect(IMethodSymbol method, int ordinal)
        {
            // Every use must be what a call invokes (M(..) or this.M(..)): a method group given elsewhere is called unseen.
            if (MethodCallers.Of(_context).CallsOf(method, CancellationToken.None) is not { } calls)
            {
                return ImmutableArray<IOperation>.Empty;
            }

            var passed = ImmutableArray.CreateBuilder<IOperation>();
            foreach (var call in calls)
            {
                var argument = call.Invocation.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == ordinal);
                if (argument == null || argument.ArgumentKind != ArgumentKind.Explicit
                    || OperationTree.SkipConversions(argument.Value) is not IDelegateCreationOperation { Target: IAnonymousFunctionOperation or IMethodReferenceOperation } creation)
                {
                    return ImmutableArray<IOperation>.Empty;
                }

                passed.Add(creation.Target);
            }

            return passed.ToImmutable();
        }
    }
}
