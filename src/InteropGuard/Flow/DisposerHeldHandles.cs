using System.Collections.Generic;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    /// <summary>
    /// A SafeHandle this run of the function made and put straight into a disposer — a collection of the compilation that
    /// disposes what it holds — through an adder that hands the object back (<c>list.AddResource(new Buffer(...))</c>,
    /// or an extension of the disposer that does so, <c>list.AddBytes(data)</c>). The object is reachable only through
    /// the disposer and the adder's result. When the disposer is a local the function made and disposes with <c>using</c>,
    /// lending it only to calls that do not keep it, nobody else can dispose the handle, and the <c>using</c> keeps it
    /// reachable to the end of its scope. When the disposer is the caller's (a parameter), the caller receives the handle
    /// in its disposer together with whatever holds the raw value; only the caller may end its life. NtCoreLib builds every
    /// native request this way: buffers made for the call, owned by a <c>DisposableList</c> disposed after it.
    /// </summary>
    internal sealed class DisposerHeldHandles
    {
        // How many helpers deep a disposer's adder or extension is followed.
        private const int MaxDepth = 3;

        // How deep a disposer may be lent down (NtCoreLib hands its request list through six builders).
        private const int MaxLendingDepth = 8;

        private readonly InteropContext _context;
        private readonly FreshHandleFactories _factories;

        public DisposerHeldHandles(InteropContext context, ValueUses uses)
        {
            _context = context;
            _factories = new FreshHandleFactories(context, uses);
        }

        /// <summary>Who holds the disposer: a local the function made and disposes, or the caller (a parameter).</summary>
        internal enum HolderKind
        {
            None,
            Local,
            Caller,
        }

        /// <summary>
        /// The disposer holding the fresh handle <paramref name="receiver"/> names in <paramref name="function"/>: an adder
        /// call itself, or a local every write of which is one (or a handle that owns nothing), all into the same disposer,
        /// and that is only used, inspected or released before <paramref name="lastUse"/>.
        /// </summary>
        public (HolderKind Kind, ISymbol? Holder) HolderOf(IOperation receiver, IOperation function, ValueUses uses, IReadOnlyList<IOperation> sites, int lastUse)
        {
            var value = OperationTree.SkipConversions(receiver);
            if (value is ILocalReferenceOperation { Local: { IsRef: false } local })
            {
                return HolderOfLocal(local, function, uses, sites, lastUse);
            }

            var holder = HolderSymbol(value, depth: 0);
            return holder == null ? (HolderKind.None, null) : Classify(holder, function);
        }

        private (HolderKind, ISymbol?) HolderOfLocal(ILocalSymbol local, IOperation function, ValueUses uses, IReadOnlyList<IOperation> sites, int lastUse)
        {
            ISymbol? holder = null;
            var written = false;
            foreach (var operation in function.Descendants())
            {
                IOperation? value = null;
                if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                {
                    if (OperationTree.IsInNestedFunction(declarator, function))
                    {
                        return (HolderKind.None, null);
                    }

                    // Declared without a value ('SafeBuffer attrs;' then written on each branch): the writes say.
                    value = declarator.Initializer?.Value;
                }
                else if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local))
                {
                    if (reference.Parent is ISimpleAssignmentOperation assignment && assignment.Target == reference)
                    {
                        value = assignment.Value;
                    }
                    else if (OperationTree.WithConversions(reference).Parent is IArgumentOperation { Parameter.RefKind: not RefKind.None } or IDeclarationExpressionOperation
                             || !IsHarmless(reference, function, uses, sites, lastUse))
                    {
                        return (HolderKind.None, null);
                    }
                }

                if (value == null)
                {
                    continue;
                }

                foreach (var branch in FreshHandleFactories.Branches(value))
                {
                    if (_factories.IsOwnerless(branch))
                    {
                        continue;
                    }

                    var held = HolderSymbol(branch, depth: 0);
                    if (held == null || (holder != null && !SymbolEqualityComparer.Default.Equals(holder, held)))
                    {
                        return (HolderKind.None, null);
                    }

                    holder = held;
                }

                written = true;
            }

            return written && holder != null ? Classify(holder, function) : (HolderKind.None, null);
        }

        // Used for a call, inspected or disposed; or handed on (to a lambda the result is made with, say) only once every
        // use of the raw value is behind, and not in a loop that comes back to them.
        private static bool IsHarmless(ILocalReferenceOperation reference, IOperation function, ValueUses uses, IReadOnlyList<IOperation> sites, int lastUse)
        {
            if (reference.Syntax.SpanStart >= lastUse)
            {
                return !sites.Any(s => UnsharedHandles.SharesLoop(s, reference, function));
            }

            return !OperationTree.IsInNestedFunction(reference, function)
                   && uses.Classify(reference).Kind is ValueUseKind.Use or ValueUseKind.Inspect or ValueUseKind.Release;
        }

        /// <summary>
        /// The symbol of the disposer <paramref name="value"/>, a call, puts a fresh handle into and returns it from: the
        /// receiver of an adder given a fresh handle, or the first argument of an extension of the disposer whose every
        /// return is such an adder call on that disposer (or a handle that owns nothing).
        /// </summary>
        private ISymbol? HolderSymbol(IOperation value, int depth)
        {
            if (depth > MaxDepth || OperationTree.SkipConversions(value) is not IInvocationOperation call || !WrapperSummaries.IsSourceMethodWithBody(call.TargetMethod))
            {
                return null;
            }

            var method = call.TargetMethod;
            if (!method.IsStatic && HeldArgument(call) is { } argument)
            {
                return _factories.IsFresh(argument) ? NamedDisposer(call.Instance!) : null;
            }

            if (_context.Wrappers.GetBody(method.OriginalDefinition) is not { } body)
            {
                return null;
            }

            // A helper lent the disposer (an extension of it, or a method of another object given it, NtCoreLib's
            // 'mask.ToBuffer(list)'): every return puts a fresh handle into that same parameter.
            var returns = FreshHandleFactories.ReturnedValues(body);
            IParameterSymbol? lent = null;
            foreach (var returned in returns)
            {
                if (_factories.IsOwnerless(returned))
                {
                    continue;
                }

                if (HolderSymbol(returned, depth + 1) is not IParameterSymbol held || !IsDisposable(held.Type)
                    || !SymbolEqualityComparer.Default.Equals(held.ContainingSymbol, method.OriginalDefinition)
                    || (lent != null && !SymbolEqualityComparer.Default.Equals(held.OriginalDefinition, lent)))
                {
                    return null;
                }

                lent = held.OriginalDefinition;
            }

            return lent != null && call.Arguments.FirstOrDefault(a => a.Parameter != null && SymbolEqualityComparer.Default.Equals(a.Parameter.OriginalDefinition, lent)) is { } disposer
                ? NamedDisposer(disposer.Value)
                : null;
        }

        /// <summary>
        /// The argument an instance adder of a disposer hands back: the method returns one of its parameters, unchanged, on
        /// every path, and its body only gives that parameter to calls on the disposer itself (<c>Add(resource)</c>).
        /// </summary>
        private IOperation? HeldArgument(IInvocationOperation call)
        {
            var method = call.TargetMethod.OriginalDefinition;
            if (call.Instance == null || !IsDisposable(method.ContainingType) || _context.Wrappers.GetBody(method) is not { } body)
            {
                return null;
            }

            var returns = FreshHandleFactories.ReturnedValues(body);
            if (returns.Count == 0 || returns.Any(r => r is not IParameterReferenceOperation)
                || returns.Select(r => ((IParameterReferenceOperation)r).Parameter.OriginalDefinition).Distinct<IParameterSymbol>(SymbolEqualityComparer.Default).Count() != 1)
            {
                return null;
            }

            var parameter = ((IParameterReferenceOperation)returns[0]).Parameter.OriginalDefinition;
            var added = false;
            foreach (var reference in body.Descendants().OfType<IParameterReferenceOperation>())
            {
                if (!SymbolEqualityComparer.Default.Equals(reference.Parameter.OriginalDefinition, parameter) || OperationTree.WithConversions(reference).Parent is IReturnOperation)
                {
                    continue;
                }

                // Add(resource) on the disposer itself or on a collection in one of its fields: now it holds the object.
                if (OperationTree.WithConversions(reference).Parent is IArgumentOperation { Parameter.RefKind: RefKind.None, Parent: IInvocationOperation { Instance: var collection } }
                    && (collection is null or IInstanceReferenceOperation || collection is IFieldReferenceOperation { Instance: IInstanceReferenceOperation }))
                {
                    added = true;
                    continue;
                }

                return null;
            }

            return added ? call.Arguments.FirstOrDefault(a => a.Parameter != null && SymbolEqualityComparer.Default.Equals(a.Parameter.OriginalDefinition, parameter))?.Value : null;
        }

        private static bool IsDisposable(ITypeSymbol? type)
            => type != null && (type.SpecialType == SpecialType.System_IDisposable || type.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_IDisposable));

        private static ISymbol? NamedDisposer(IOperation disposer)
            => OperationTree.SkipConversions(disposer) switch
            {
                ILocalReferenceOperation { Local: { IsRef: false } local } => local,
                IParameterReferenceOperation { Parameter: { RefKind: RefKind.None } parameter } => parameter,

                // The object is itself the disposer: whoever called the method holds it, as with a parameter.
                IInstanceReferenceOperation { ReferenceKind: InstanceReferenceKind.ContainingTypeInstance, Type: { } self } => self,
                _ => null,
            };

        private (HolderKind, ISymbol?) Classify(ISymbol holder, IOperation function)
        {
            // A parameter of the method (not of a lambda in it, whose caller is whoever runs the lambda), or 'this'.
            if (holder is IParameterSymbol parameter)
            {
                return parameter.ContainingSymbol is IMethodSymbol { MethodKind: not (MethodKind.AnonymousFunction or MethodKind.LocalFunction) } && function is not IAnonymousFunctionOperation
                    ? (HolderKind.Caller, parameter)
                    : (HolderKind.None, null);
            }

            if (holder is ITypeSymbol)
            {
                return function is IAnonymousFunctionOperation ? (HolderKind.None, null) : (HolderKind.Caller, holder);
            }

            return holder is ILocalSymbol local && IsPrivateDisposer(local, function) ? (HolderKind.Local, local) : (HolderKind.None, null);
        }

        /// <summary>
        /// A local disposer the function made (<c>using var list = new DisposableList()</c>), written nowhere else, disposed
        /// only by its <c>using</c>, and otherwise only the receiver of its own members or lent to calls of the compilation
        /// that use it only the same way.
        /// </summary>
        private bool IsPrivateDisposer(ILocalSymbol local, IOperation function)
        {
            var disposedByUsing = function.Descendants().Any(o =>
                o is IUsingDeclarationOperation usingDeclaration && usingDeclaration.DeclarationGroup.GetDeclaredVariables().Contains(local, SymbolEqualityComparer.Default)
                || o is IUsingOperation { Resources: IVariableDeclarationGroupOperation group } && group.GetDeclaredVariables().Contains(local, SymbolEqualityComparer.Default));
            if (!disposedByUsing)
            {
                return false;
            }

            foreach (var operation in function.Descendants())
            {
                if (operation is IVariableDeclaratorOperation declarator && SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
                {
                    if (declarator.Initializer?.Value is not { } initial || OperationTree.SkipConversions(initial) is not IObjectCreationOperation)
                    {
                        return false;
                    }

                    continue;
                }

                if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, local)
                    && !IsLent(reference, depth: 0, new HashSet<IParameterSymbol>(SymbolEqualityComparer.Default)))
                {
                    return false;
                }
            }

            return true;
        }

        // The receiver of one of its members other than a disposal, or an argument to a method of the compilation that
        // treats its parameter the same way.
        private bool IsLent(IOperation reference, int depth, HashSet<IParameterSymbol> asked)
        {
            var holder = OperationTree.WithConversions(reference);
            switch (holder.Parent)
            {
                case IInvocationOperation call when call.Instance == holder:
                    return !IsDisposal(call.TargetMethod);
                case IPropertyReferenceOperation property when property.Instance == holder:
                    return true;
                case IArgumentOperation { Parameter: { RefKind: RefKind.None } parameter, Parent: IInvocationOperation call }:
                    if (depth >= MaxLendingDepth || !WrapperSummaries.IsSourceMethodWithBody(call.TargetMethod) || _context.Wrappers.GetBody(call.TargetMethod.OriginalDefinition) is not { } body)
                    {
                        return false;
                    }

                    // A builder that lends the disposer on to itself (a range whose bounds are values) is answered by
                    // the question already being asked.
                    var given = parameter.OriginalDefinition;
                    if (!asked.Add(given))
                    {
                        return true;
                    }

                    return body.Descendants().OfType<IParameterReferenceOperation>()
                        .Where(r => SymbolEqualityComparer.Default.Equals(r.Parameter.OriginalDefinition, given))
                        .All(r => IsLent(r, depth + 1, asked));
                default:
                    return false;
            }
        }

        /// <summary>
        /// A request local (a struct, or the class it converts to) into which a disposer-held raw value is stored, that does
        /// not outlive the function: its fields read or written, the whole of it written, given to a call, a method called on
        /// it (a struct's); not returned, copied elsewhere, or captured except to read a field the raw value was not stored in.
        /// </summary>
        internal static bool StaysLocal(ILocalReferenceOperation reference, IOperation function, HashSet<IFieldSymbol> storedFields)
        {
            var parent = OperationTree.WithConversions(reference).Parent;
            if (OperationTree.IsInNestedFunction(reference, function))
            {
                // Captured only to read another field ('() => new Context(attr.ContextHandle)'): the raw value is not read again.
                return parent is IFieldReferenceOperation { Field: { } other } read && read.Instance == reference && !storedFields.Contains(other)
                       && !(read.Parent is ISimpleAssignmentOperation written && written.Target == read);
            }

            // A local of a class (the request a struct converts to, or a request class) is no less local through its fields.
            return parent is IArgumentOperation
                   || (parent is ISimpleAssignmentOperation assigned && assigned.Target == reference)
                   || parent is IFieldReferenceOperation
                   || (reference.Local.Type.IsValueType && parent is IInvocationOperation { Instance: { } instance } && instance == reference);
        }

        private static bool IsDisposal(IMethodSymbol method) => method.Name is "Dispose" or "Close" or "DisposeAsync" or "Clear";
    }
}
