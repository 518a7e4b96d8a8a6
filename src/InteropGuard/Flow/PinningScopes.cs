using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using InteropGuard.Interop;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace InteropGuard.Flow
{
    internal enum PinningScopeKind
    {
        /// <summary>A <c>fixed</c> statement: pinned until the statement ends.</summary>
        Fixed,

        /// <summary><c>GCHandle.Alloc(x, GCHandleType.Pinned)</c>: pinned until <c>Free</c>.</summary>
        PinnedGCHandle,

        /// <summary><c>Memory&lt;T&gt;.Pin()</c> / <c>IPinnable.Pin</c>: pinned until the MemoryHandle is disposed.</summary>
        MemoryHandle,

        /// <summary>Stack memory from <c>stackalloc</c>: valid until the function returns.</summary>
        StackAlloc,

        /// <summary>
        /// The pin data of an overlapped I/O operation (<c>ThreadPoolBoundHandle.AllocateNativeOverlapped</c>,
        /// <c>Overlapped.Pack</c>, <c>PreAllocatedOverlapped</c>): pinned until the NativeOverlapped is freed, which is the
        /// operation's business, so long-lived here.
        /// </summary>
        OverlappedPinData,
    }

    /// <summary>
    /// One place where memory is pinned (or lives on the stack) in a body, with where that ends: the question "which
    /// pinning scope does this pointer come from, and where does it stop being valid" (IG2001), and "is this array
    /// pinned at this point" (IG2002).
    /// </summary>
    internal sealed class PinningScope
    {
        public PinningScope(PinningScopeKind kind, SyntaxNode start, IOperation function, string pinned, ISymbol? pinnedSymbol)
        {
            Kind = kind;
            Start = start;
            Function = function;
            Pinned = pinned;
            PinnedSymbol = pinnedSymbol;
        }

        public PinningScopeKind Kind { get; }

        /// <summary>The fixed statement, the GCHandle.Alloc / Pin invocation, or the stackalloc expression.</summary>
        public SyntaxNode Start { get; }

        /// <summary>The method body, local function or lambda whose frame owns the scope.</summary>
        public IOperation Function { get; }

        /// <summary>The pinned object as the code writes it (<c>buffer</c>, <c>_header.Size</c>); "stack memory" for stackalloc.</summary>
        public string Pinned { get; }

        /// <summary>The array, string, field, local or parameter that is pinned, when it is one symbol.</summary>
        public ISymbol? PinnedSymbol { get; }

        /// <summary>
        /// The objects the scope pins, named by <see cref="PinningScopes.KeyOf(IOperation?)"/>: the array behind
        /// <c>&amp;a[i]</c> or a span over it, the object whose field is pinned, every object the pinned memory is built from.
        /// </summary>
        public ImmutableArray<string> Owners { get; internal set; } = ImmutableArray<string>.Empty;

        /// <summary>False for a GCHandle whose type is not a constant: it may pin (so nothing is unpinned) but may not (so nothing escapes it).</summary>
        public bool IsCertain { get; internal set; } = true;

        /// <summary>Syntax outside of which the memory is no longer pinned: the fixed statement, the using statement, the block of a using declaration.</summary>
        public SyntaxNode? Region { get; internal set; }

        /// <summary>For handles: the local holding the GCHandle or MemoryHandle.</summary>
        public ILocalSymbol? Handle { get; internal set; }

        /// <summary>The explicit <c>Free()</c> / <c>Dispose()</c> calls on <see cref="Handle"/> in the function.</summary>
        public ImmutableArray<IInvocationOperation> Releases { get; internal set; } = ImmutableArray<IInvocationOperation>.Empty;

        /// <summary>The pointer locals a fixed statement declares (one per declarator pinning <see cref="Pinned"/>).</summary>
        public ImmutableArray<ILocalSymbol> FixedLocals { get; internal set; } = ImmutableArray<ILocalSymbol>.Empty;

        /// <summary>
        /// The operations whose value is a pointer valid only inside the scope: references to the fixed locals,
        /// <c>AddrOfPinnedObject()</c> calls, <c>MemoryHandle.Pointer</c> reads, the stackalloc expression.
        /// </summary>
        public ImmutableArray<IOperation> Pointers { get; internal set; } = ImmutableArray<IOperation>.Empty;

        /// <summary>
        /// False for a handle that the function does not release (kept in a field, returned, handed on): the memory
        /// stays pinned past the function, which is the correct long-lived pattern.
        /// </summary>
        public bool EndsInFunction => Kind == PinningScopeKind.Fixed || Kind == PinningScopeKind.StackAlloc || Region != null || !Releases.IsEmpty;

        /// <summary>Is <paramref name="node"/> inside the pinned region (syntactically, in evaluation order of straight-line code)?</summary>
        public bool Covers(SyntaxNode node)
        {
            // A pin a lambda or local function takes and keeps (stored in a captured local or a field) outlives that
            // function: it holds for what runs after it anywhere in the body.
            if (EndsInFunction && !Function.Syntax.Span.Contains(node.Span))
            {
                return false;
            }

            if (Region != null)
            {
                return Region.Span.Contains(node.Span) && node.SpanStart >= Start.SpanStart;
            }

            if (node.SpanStart < Start.SpanStart)
            {
                return false;
            }

            // A release counts when it ends the pin for the node on every path: earlier in a block (or top-level code) that
            // also holds the node. One inside an if, or in another branch, may not have run.
            // A release before the pin (of an earlier handle the local held) ends an earlier pin, not this one.
            return !Releases.Any(r => r.Syntax.SpanStart >= Start.Span.End && r.Syntax.Span.End <= node.SpanStart && EndsPinFor(r.Syntax, node));
        }

        private static bool EndsPinFor(SyntaxNode release, SyntaxNode node)
        {
            var statement = release.FirstAncestorOrSelf<StatementSyntax>();
            var container = statement?.Parent is GlobalStatementSyntax global ? global.Parent : statement?.Parent;
            return (container is BlockSyntax || container is CompilationUnitSyntax || container is SwitchSectionSyntax) && container.Span.Contains(node.Span);
        }
    }

    /// <summary>
    /// The one pinning model: finds the pinning scopes of a body (<see cref="PinningScope"/>) and answers, for every rule,
    /// "is this object pinned here" (<see cref="IsPinnedAt(IOperation, IOperation, WellKnownTypes, ManagedMemoryOrigins)"/>)
    /// and "does this array live on the pinned object heap" (<see cref="IsOnPinnedHeap"/>, <see cref="IsPinnedHeapAllocation"/>).
    /// Objects are named by <see cref="KeyOf(IOperation?)"/>, so a field of a field or <c>this</c> can be pinned too.
    /// </summary>
    internal static class PinningScopes
    {
        /// <summary><c>GCHandleType.Weak</c>: tracks the object without keeping it alive.</summary>
        public const int WeakHandleType = 0;

        /// <summary><c>GCHandleType.WeakTrackResurrection</c>: a weak handle that also follows the object through finalization.</summary>
        public const int WeakTrackResurrectionHandleType = 1;

        /// <summary><c>GCHandleType.Normal</c>.</summary>
        public const int NormalHandleType = 2;

        /// <summary><c>GCHandleType.Pinned</c>.</summary>
        public const int PinnedHandleType = 3;

        /// <summary>What <see cref="HandleTypeOf"/> says of a handle type that is not a constant.</summary>
        public const int UnknownHandleType = -1;

        /// <summary>The text a node must hold for <see cref="MayContain"/> to find something (<see cref="TreeTextPositions"/>).</summary>
        public static readonly string[] GateText = { "fixed", "stackalloc", "Alloc", "Pin" };

        /// <summary>Cheap syntax gate: can this code block contain a pinning scope at all?</summary>
        public static bool MayContain(SyntaxNode node)
        {
            foreach (var descendant in node.DescendantNodes())
            {
                switch (descendant)
                {
                    case FixedStatementSyntax _:
                    case StackAllocArrayCreationExpressionSyntax _:
                    case ImplicitStackAllocArrayCreationExpressionSyntax _:
                        return true;
                    case IdentifierNameSyntax name when name.Identifier.ValueText == "Alloc" || name.Identifier.ValueText == "Pin":
                        return true;
                }
            }

            return false;
        }

        public static ImmutableArray<PinningScope> In(IOperation root, WellKnownTypes types, ManagedMemoryOrigins origins)
        {
            var scopes = ImmutableArray.CreateBuilder<PinningScope>();
            foreach (var operation in root.DescendantsAndSelf())
            {
                switch (operation)
                {
                    case { Kind: OperationKind.None, Syntax: FixedStatementSyntax } when operation.ChildOperations.FirstOrDefault() is IVariableDeclarationGroupOperation group:
                        AddFixed(scopes, root, operation, group, origins);
                        break;
                    case { Kind: OperationKind.None, Syntax: StackAllocArrayCreationExpressionSyntax or ImplicitStackAllocArrayCreationExpressionSyntax } when operation.Type is IPointerTypeSymbol:
                        scopes.Add(new PinningScope(PinningScopeKind.StackAlloc, operation.Syntax, OperationTree.EnclosingFunction(operation, root), "stack memory", null)
                        {
                            Pointers = ImmutableArray.Create(operation),
                        });
                        break;
                    case IInvocationOperation or IObjectCreationOperation when PinTakenBy(operation, types) is { } pin:
                        var owners = pin.Objects.Select(KeyOf).OfType<string>().Distinct().ToImmutableArray();
                        switch (pin.Kind)
                        {
                            case PinningScopeKind.PinnedGCHandle:
                                AddHandle(scopes, root, (IInvocationOperation)operation, pin.Kind, pin.Pinned, "AddrOfPinnedObject", "Free", pin.Certain, owners);
                                break;
                            case PinningScopeKind.MemoryHandle:
                                AddHandle(scopes, root, (IInvocationOperation)operation, pin.Kind, pin.Pinned, "Pointer", "Dispose", pin.Certain, owners);
                                break;
                            default:
                                scopes.Add(new PinningScope(pin.Kind, operation.Syntax, OperationTree.EnclosingFunction(operation, root), Display(pin.Pinned), SymbolOf(pin.Pinned)) { Owners = owners });
                                break;
                        }

                        break;
                }
            }

            return scopes.ToImmutable();
        }

        /// <summary>Is the object named <paramref name="owner"/> (<see cref="KeyOf(IOperation?)"/>) pinned by one of <paramref name="scopes"/> at <paramref name="at"/>?</summary>
        public static bool IsPinnedAt(IEnumerable<PinningScope> scopes, string owner, SyntaxNode at)
            => scopes.Any(s => s.Kind != PinningScopeKind.StackAlloc && s.Owners.Contains(owner) && s.Covers(at));

        /// <summary>
        /// Is the object <paramref name="owner"/> denotes pinned at <paramref name="use"/>: a pinning scope of the method
        /// covers it, it is on the pinned object heap, or (for a field or <c>this</c>) the type holds a pin of it that another
        /// method may have taken. Objects without a name (<see cref="KeyOf(IOperation?)"/>) cannot be pinned elsewhere.
        /// </summary>
        public static bool IsPinnedAt(IOperation use, IOperation owner, WellKnownTypes types, ManagedMemoryOrigins origins)
        {
            owner = ManagedMemoryOrigins.Unwrap(owner)!;
            if (IsPinnedHeapAllocation(owner.Syntax))
            {
                return true;
            }

            var key = KeyOf(owner);
            if (key == null)
            {
                return false;
            }

            var root = OperationTree.Root(use);
            switch (owner)
            {
                case ILocalReferenceOperation local when IsOnPinnedHeap(local.Local, root):
                case IFieldReferenceOperation field when IsOnPinnedHeap(field.Field, root) || HasOwnedPin(field.Field, use, types):
                case IInstanceReferenceOperation { Type: INamedTypeSymbol type } when use.SemanticModel is { } model && TypeHoldsPinOf(type, null, model, types):
                    return true;
            }

            return IsPinnedAt(In(root, types, origins), key, use, root, 0);
        }

        /// <summary>
        /// Pinned at <paramref name="use"/>, or the use is in a local function every call of which is pinned: the body
        /// runs where it is called (<c>using (data.AsMemory().Pin()) { Fill(); }</c> with <c>Fill</c> declared outside).
        /// </summary>
        private static bool IsPinnedAt(ImmutableArray<PinningScope> scopes, string key, IOperation use, IOperation root, int depth)
        {
            if (IsPinnedAt(scopes, key, use.Syntax))
            {
                return true;
            }

            if (depth > 2 || OperationTree.EnclosingFunction(use, root) is not ILocalFunctionOperation function)
            {
                return false;
            }

            var calls = root.Descendants().Where(o => o is IInvocationOperation call && SymbolEqualityComparer.Default.Equals(call.TargetMethod.OriginalDefinition, function.Symbol)
                                                     || o is IMethodReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Method.OriginalDefinition, function.Symbol)).ToList();
            return calls.Count > 0 && calls.All(c => c is IInvocationOperation && !function.Syntax.Span.Contains(c.Syntax.Span) && IsPinnedAt(scopes, key, c, root, depth + 1));
        }

        /// <summary>A name for the object an expression denotes, equal for two expressions that read the same variable; null when it has none.</summary>
        public static string? KeyOf(IOperation? owner)
        {
            owner = ManagedMemoryOrigins.Unwrap(owner);
            switch (owner)
            {
                case ILocalReferenceOperation local:
                    return KeyOf(local.Local);
                case IParameterReferenceOperation parameter:
                    return KeyOf(parameter.Parameter);
                case IInstanceReferenceOperation:
                    return "this";
                case IFieldReferenceOperation field when field.Field.IsStatic:
                    return KeyOf(field.Field);
                case IFieldReferenceOperation field:
                    return KeyOf(field.Instance) is { } instance ? instance + "." + field.Field.Name : null;
                default:
                    return null;
            }
        }

        /// <summary>The <see cref="KeyOf(IOperation?)"/> of a read of a local, a parameter or a static field.</summary>
        public static string? KeyOf(ISymbol symbol) => symbol switch
        {
            ILocalSymbol local => "L:" + local.Name + "@" + (local.Locations.FirstOrDefault()?.SourceSpan.Start ?? -1),
            IParameterSymbol parameter => "P:" + parameter.Name + "@" + (parameter.Locations.FirstOrDefault()?.SourceSpan.Start ?? -1),
            IFieldSymbol { IsStatic: true } field => "F:" + field.ToDisplayString(),
            _ => null,
        };

        /// <summary>
        /// A pin <paramref name="operation"/> takes that is not bounded by a statement: a pinned (or possibly pinned)
        /// GCHandle, a <c>Pin()</c> returning a MemoryHandle, overlapped pin data. <c>Objects</c> are the operations
        /// denoting what it pins (see <see cref="KeyOf(IOperation?)"/>).
        /// </summary>
        private static (PinningScopeKind Kind, IOperation Pinned, IEnumerable<IOperation> Objects, bool Certain)? PinTakenBy(IOperation operation, WellKnownTypes types)
        {
            switch (operation)
            {
                case IInvocationOperation call when PinnedAllocKind(call, types) is { } certain:
                    var handled = call.Arguments[0].Value;
                    return (PinningScopeKind.PinnedGCHandle, handled, new[] { ManagedMemoryOrigins.Unwrap(handled)! }, certain);
                case IInvocationOperation call when call.TargetMethod.Name == "Pin" && types.MemoryHandle != null
                                                   && SymbolEqualityComparer.Default.Equals(call.Type, types.MemoryHandle) && call.Instance != null:
                    return (PinningScopeKind.MemoryHandle, call.Instance, BuiltFrom(call.Instance), true);
                default:
                    return OverlappedPinData(operation, types) is { } data ? (PinningScopeKind.OverlappedPinData, data, PinDataObjects(data), true) : null;
            }
        }

        /// <summary>
        /// Every named object the memory <c>Pin()</c> is called on is built from, also through a local holding it
        /// (<c>var m = a.AsMemory(); m.Pin()</c>).
        /// </summary>
        private static IEnumerable<IOperation> BuiltFrom(IOperation pinned)
        {
            foreach (var operation in pinned.DescendantsAndSelf())
            {
                yield return operation;
                if (operation is ILocalReferenceOperation local && ManagedMemoryOrigins.SingleSource(local) is { } source)
                {
                    foreach (var part in source.DescendantsAndSelf())
                    {
                        yield return part;
                    }
                }
            }
        }

        /// <summary>
        /// The <c>pinData</c> / <c>userData</c> argument of <c>ThreadPoolBoundHandle.(Unsafe)AllocateNativeOverlapped</c>,
        /// <c>Overlapped.(Unsafe)Pack</c>, <c>new PreAllocatedOverlapped</c> / <c>PreAllocatedOverlapped.UnsafeCreate</c>; null
        /// for any other operation or when none is given.
        /// </summary>
        private static IOperation? OverlappedPinData(IOperation operation, WellKnownTypes types)
        {
            string? parameter;
            switch (operation)
            {
                case IInvocationOperation call when Is(call.TargetMethod.ContainingType, types.ThreadPoolBoundHandle)
                                                   && call.TargetMethod.Name is "AllocateNativeOverlapped" or "UnsafeAllocateNativeOverlapped":
                case IInvocationOperation { TargetMethod.Name: "UnsafeCreate" } factory when Is(factory.TargetMethod.ContainingType, types.PreAllocatedOverlapped):
                case IObjectCreationOperation creation when Is(creation.Type, types.PreAllocatedOverlapped):
                    parameter = "pinData";
                    break;
                case IInvocationOperation call when Is(call.TargetMethod.ContainingType, types.Overlapped) && call.TargetMethod.Name is "Pack" or "UnsafePack":
                    parameter = "userData";
                    break;
                default:
                    return null;
            }

            var arguments = operation is IInvocationOperation invocation ? invocation.Arguments : ((IObjectCreationOperation)operation).Arguments;
            var data = arguments.FirstOrDefault(a => a.Parameter?.Name == parameter && a.ArgumentKind != ArgumentKind.DefaultValue)?.Value;
            return data == null || ManagedMemoryOrigins.Unwrap(data) is { ConstantValue.HasValue: true } ? null : data;
        }

        /// <summary>Overlapped pin data pins the object it is given or, for an <c>object[]</c>, the array and every element.</summary>
        private static IEnumerable<IOperation> PinDataObjects(IOperation data)
        {
            var value = ManagedMemoryOrigins.Unwrap(data)!;
            yield return value;
            var array = value is ILocalReferenceOperation local && local.Type is IArrayTypeSymbol ? ManagedMemoryOrigins.Unwrap(ManagedMemoryOrigins.SingleSource(local)) : value;
            IEnumerable<IOperation> elements = array switch
            {
                IArrayCreationOperation { Initializer: { } initializer } => initializer.ElementValues,
                ICollectionExpressionOperation collection when collection.Type is IArrayTypeSymbol => collection.Elements,
                _ => Enumerable.Empty<IOperation>(),
            };
            foreach (var element in elements)
            {
                yield return ManagedMemoryOrigins.Unwrap(element)!;
            }
        }

        private static bool Is(ITypeSymbol? type, INamedTypeSymbol? expected)
            => expected != null && SymbolEqualityComparer.Default.Equals(type, expected);

        /// <summary>What a <c>fixed</c> initializer pins: the array, string or object behind it.</summary>
        private static string? FixedOwner(IOperation? initializer, ManagedMemoryOrigins origins)
        {
            initializer = ManagedMemoryOrigins.Unwrap(initializer);
            while ((initializer is IConversionOperation conversion && !origins.IsSpan(conversion.Operand.Type))
                   || (initializer is { Kind: OperationKind.None } && initializer.ChildOperations.Count == 1))
            {
                initializer = ManagedMemoryOrigins.Unwrap(initializer.ChildOperations.First());
            }

            if (initializer is IAddressOfOperation address)
            {
                var origin = origins.OfReference(address.Reference);
                return origin.IsMovable ? KeyOf(origin.Owner) : null;
            }

            if (initializer != null && origins.IsSpan(initializer.Type))
            {
                var origin = origins.OfSpan(initializer);
                return origin.IsMovable ? KeyOf(origin.Owner) : null;
            }

            return KeyOf(initializer);
        }

        /// <summary>
        /// Is <paramref name="variable"/> (a local, parameter or field) pinned by something that is not bounded by a
        /// statement: a pinned GCHandle, a <c>Pin()</c>, overlapped pin data — taken anywhere in the code block of
        /// <paramref name="at"/> for a local or parameter, anywhere in the type for a field. Whether that pin is held long
        /// enough is the pin's owner's question (IG2001, IG3004), not the question of whoever hands the variable on.
        /// </summary>
        public static bool HasOwnedPin(ISymbol variable, IOperation at, WellKnownTypes types)
        {
            if (variable is IFieldSymbol field)
            {
                return at.SemanticModel is { } model && TypeHoldsPinOf(field.ContainingType, field, model, types);
            }

            var key = KeyOf(variable);
            return key != null && OperationTree.Root(at).DescendantsAndSelf()
                .Any(o => o is IInvocationOperation or IObjectCreationOperation && PinTakenBy(o, types) is { } pin && pin.Objects.Any(p => KeyOf(p) == key));
        }

        /// <summary>
        /// Does <paramref name="type"/> pin <paramref name="field"/> (<c>this</c> when null) anywhere with a pin that is not
        /// bounded by a statement (<see cref="PinTakenBy"/>)? Another method may then hold the pin while this one runs.
        /// (A <c>fixed</c> in another method is not such a pin: it ends before this method runs.)
        /// </summary>
        public static bool TypeHoldsPinOf(INamedTypeSymbol type, IFieldSymbol? field, SemanticModel model, WellKnownTypes types)
        {
            foreach (var reference in type.DeclaringSyntaxReferences)
            {
                SemanticModel? semantic = reference.SyntaxTree == model.SyntaxTree ? model : null;
                foreach (var node in reference.GetSyntax().DescendantNodes())
                {
                    if (!MayTakePin(node))
                    {
                        continue;
                    }

                    if (semantic == null)
                    {
                        if (!model.Compilation.ContainsSyntaxTree(reference.SyntaxTree))
                        {
                            break;
                        }

#pragma warning disable RS1030 // A partial declaration of the type in another tree may hold the pin.
                        semantic = model.Compilation.GetSemanticModel(reference.SyntaxTree);
#pragma warning restore RS1030
                    }

                    if (semantic.GetOperation(node) is { } operation && PinTakenBy(operation, types) is { } pin
                        && pin.Objects.Any(o => field == null ? o is IInstanceReferenceOperation && !IsReceiver(o) : o is IFieldReferenceOperation read && SymbolEqualityComparer.Default.Equals(read.Field, field)))
                    {
                        return true;
                    }
                }
            }

            return false;
        }

        /// <summary>Cheap syntax gate for <see cref="PinTakenBy"/>.</summary>
        private static bool MayTakePin(SyntaxNode node) => node switch
        {
            InvocationExpressionSyntax invocation => ManagedMemoryOrigins.LastName(invocation.Expression)
                is "Alloc" or "Pin" or "AllocateNativeOverlapped" or "UnsafeAllocateNativeOverlapped" or "Pack" or "UnsafePack" or "UnsafeCreate",
            ObjectCreationExpressionSyntax creation => ManagedMemoryOrigins.LastName(creation.Type) == "PreAllocatedOverlapped",
            ImplicitObjectCreationExpressionSyntax => true,
            _ => false,
        };

        /// <summary><c>this</c> as the receiver of a member access (<c>_buffer</c> in <c>_buffer.AsMemory()</c>) is not itself pinned.</summary>
        private static bool IsReceiver(IOperation instance) => instance.Parent switch
        {
            IMemberReferenceOperation member => member.Instance == instance,
            IInvocationOperation call => call.Instance == instance,
            _ => false,
        };

        /// <summary>
        /// Is <paramref name="memory"/> (a local or field) an array from the pinned object heap whatever value it holds:
        /// every array it is given is a pinned allocation (<see cref="IsPinnedHeapAllocation"/>; null does not count)? Such
        /// an array never moves, so it needs no pin and a pointer into it stays valid after a fixed statement ends.
        /// </summary>
        public static bool IsOnPinnedHeap(ISymbol memory, IOperation root)
        {
            var values = new List<SyntaxNode>();
            switch (memory)
            {
                case ILocalSymbol local:
                    // The value the local is declared with is one the walk below gives: when it is neither null nor a
                    // pinned allocation the answer is no whatever else the local is given (most pinned locals of a
                    // binding: 'var dims = shape.ToArray()'), and the body is not walked.
                    if (DeclaredValue(local, root) is { } declared && !IsNull(declared) && !IsPinnedHeapAllocation(declared))
                    {
                        return false;
                    }

                    if (ManagedMemoryOrigins.ValuesOf(local, root) is not { } given)
                    {
                        return false;
                    }

                    values.AddRange(given.Select(v => v.Syntax));
                    break;
                case IFieldSymbol field:
                    // Writes we cannot see (another type, another assembly) are not held against it: say nothing rather than guess.
                    values.AddRange(ManagedMemoryOrigins.ValuesOf(field, root.SemanticModel).Values);
                    break;
            }

            var arrays = values.Where(v => !IsNull(v)).ToList();
            return arrays.Count > 0 && arrays.All(IsPinnedHeapAllocation);
        }

        /// <summary>
        /// <c>GC.AllocateArray&lt;T&gt;(n, pinned: true)</c> / <c>GC.AllocateUninitializedArray</c> with a <c>pinned</c> argument that
        /// is not <c>false</c> (a flag we cannot read may pin: say nothing), or a conditional choosing between two of them.
        /// </summary>
        public static bool IsPinnedHeapAllocation(SyntaxNode value)
        {
            switch (value)
            {
                case ParenthesizedExpressionSyntax parenthesized:
                    return IsPinnedHeapAllocation(parenthesized.Expression);
                case ConditionalExpressionSyntax conditional:
                    return IsPinnedHeapAllocation(conditional.WhenTrue) && IsPinnedHeapAllocation(conditional.WhenFalse);
                case InvocationExpressionSyntax call when ManagedMemoryOrigins.LastName(call.Expression) is "AllocateArray" or "AllocateUninitializedArray":
                    var arguments = call.ArgumentList.Arguments;
                    var pinned = arguments.FirstOrDefault(a => a.NameColon?.Name.Identifier.ValueText == "pinned")
                                 ?? (arguments.Count > 1 && arguments[1].NameColon == null ? arguments[1] : null);
                    return pinned != null && !pinned.Expression.IsKind(SyntaxKind.FalseLiteralExpression);
                default:
                    return false;
            }
        }

        /// <summary>
        /// The syntax of the value <paramref name="local"/>'s declarator in <paramref name="root"/> gives it, as
        /// <see cref="ManagedMemoryOrigins.ValuesOf(ILocalSymbol, IOperation)"/> reads it (the initializer's operation);
        /// null when the local has none there (a foreach or pattern variable, an out variable, no initializer).
        /// </summary>
        private static SyntaxNode? DeclaredValue(ILocalSymbol local, IOperation root)
        {
            var references = local.DeclaringSyntaxReferences;
            if (references.Length != 1 || root.SemanticModel is not { } model || references[0].SyntaxTree != model.SyntaxTree
                || !root.Syntax.Span.Contains(references[0].Span) || references[0].GetSyntax() is not VariableDeclaratorSyntax { Initializer: not null } syntax
                || model.GetOperation(syntax) is not IVariableDeclaratorOperation declarator || !SymbolEqualityComparer.Default.Equals(declarator.Symbol, local))
            {
                return null;
            }

            return declarator.GetVariableInitializer()?.Value.Syntax;
        }

        private static bool IsNull(SyntaxNode value)
            => value is LiteralExpressionSyntax literal && (literal.IsKind(SyntaxKind.NullLiteralExpression) || literal.IsKind(SyntaxKind.DefaultLiteralExpression))
               || value is PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } suppressed && IsNull(suppressed.Operand);

        private static void AddFixed(ImmutableArray<PinningScope>.Builder scopes, IOperation root, IOperation statement, IVariableDeclarationGroupOperation group, ManagedMemoryOrigins origins)
        {
            foreach (var declarator in group.Declarations.SelectMany(d => d.Declarators))
            {
                if (declarator.Initializer?.Value is not { } value)
                {
                    continue;
                }

                var pinned = PinnedOperand(value);
                if (pinned is IInvalidOperation || pinned.Syntax.IsMissing || pinned.Syntax.Span.IsEmpty)
                {
                    continue;
                }

                var kind = PinningScopeKind.Fixed;
                if (origins.IsSpan(pinned.Type))
                {
                    // A span over stack memory does not move; one made from a raw pointer is not managed memory at all.
                    switch (origins.OfSpan(pinned).Kind)
                    {
                        case MemoryOriginKind.Stack:
                            kind = PinningScopeKind.StackAlloc;
                            break;
                        case MemoryOriginKind.Native:
                            continue;
                    }
                }

                if (SymbolOf(pinned) is { } memory && IsOnPinnedHeap(memory, root))
                {
                    continue;
                }

                var function = OperationTree.EnclosingFunction(statement, root);
                // A local declared by a fixed statement exists only inside it: its references are found there, not in
                // the whole function (the same references, in the same order).
                var references = ImmutableArray.CreateBuilder<IOperation>();
                foreach (var operation in statement.Descendants())
                {
                    if (operation is ILocalReferenceOperation reference && SymbolEqualityComparer.Default.Equals(reference.Local, declarator.Symbol))
                    {
                        references.Add(reference);
                    }
                }

                scopes.Add(new PinningScope(kind, statement.Syntax, function, kind == PinningScopeKind.StackAlloc ? "stack memory" : Display(pinned), SymbolOf(pinned))
                {
                    Region = kind == PinningScopeKind.Fixed ? statement.Syntax : null,
                    Owners = kind == PinningScopeKind.Fixed && FixedOwner(value, origins) is { } owner ? ImmutableArray.Create(owner) : ImmutableArray<string>.Empty,
                    FixedLocals = ImmutableArray.Create(declarator.Symbol),
                    Pointers = references.ToImmutable(),
                });
            }
        }

        private static void AddHandle(ImmutableArray<PinningScope>.Builder scopes, IOperation root, IInvocationOperation call, PinningScopeKind kind, IOperation pinned, string pointerMember, string releaseName, bool certain, ImmutableArray<string> owners)
        {
            var function = OperationTree.EnclosingFunction(call, root);
            var (handle, region) = StoredIn(call);

            // Kept in a field, returned or handed on: pinned from here on, released by someone else (long-lived).
            var longLived = new PinningScope(kind, call.Syntax, function, Display(pinned), SymbolOf(pinned)) { IsCertain = certain, Owners = owners };
            if (handle == null)
            {
                scopes.Add(longLived);
                return;
            }

            var pointers = ImmutableArray.CreateBuilder<IOperation>();
            var releases = ImmutableArray.CreateBuilder<IInvocationOperation>();
            foreach (var reference in OperationTree.ReferencesTo(function, handle))
            {
                if (OperationTree.EnclosingFunction(reference, root) != function)
                {
                    // A lambda or local function releases it (a completion callback): it lives as long as that does.
                    scopes.Add(longLived);
                    return;
                }

                switch (reference.Parent)
                {
                    case IInvocationOperation member when member.Instance == reference && member.TargetMethod.Name == pointerMember:
                        pointers.Add(member);
                        break;
                    case IPropertyReferenceOperation property when property.Instance == reference && property.Property.Name == pointerMember:
                        pointers.Add(property);
                        break;
                    case IInvocationOperation member when member.Instance == reference && member.TargetMethod.Name == releaseName:
                        releases.Add(member);
                        break;
                    case IInvocationOperation member when member.Instance == reference:
                    case IPropertyReferenceOperation property when property.Instance == reference:
                        break;
                    case ISimpleAssignmentOperation assignment when assignment.Target == reference:
                    case IVariableDeclaratorOperation _:
                        break;
                    default:
                        scopes.Add(longLived);
                        return;
                }
            }

            scopes.Add(new PinningScope(kind, call.Syntax, function, Display(pinned), SymbolOf(pinned))
            {
                IsCertain = certain,
                Owners = owners,
                Handle = handle,
                Region = region,
                Releases = region != null ? ImmutableArray<IInvocationOperation>.Empty : releases.ToImmutable(),
                Pointers = pointers.ToImmutable(),
            });
        }

        /// <summary>The local the handle is stored in and, for <c>using</c>, the syntax it is disposed at the end of.</summary>
        private static (ILocalSymbol? Local, SyntaxNode? Region) StoredIn(IOperation call)
        {
            var current = OperationTree.WithConversions(call);

            switch (current.Parent)
            {
                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation local } assignment when assignment.Value == current:
                    return (local.Local, null);
                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator } when !declarator.Symbol.IsRef:
                    var declaration = declarator.Parent?.Parent?.Parent;
                    switch (declaration)
                    {
                        case IUsingOperation usingStatement:
                            return (declarator.Symbol, usingStatement.Syntax);
                        case IUsingDeclarationOperation usingDeclaration:
                            return (declarator.Symbol, usingDeclaration.Syntax.Parent);
                        default:
                            return (declarator.Symbol, null);
                    }

                default:
                    return (null, null);
            }
        }

        /// <summary>For <c>GCHandle.Alloc(x, type)</c>: true when the type is the constant Pinned, false when it is not a constant (it may pin), null otherwise.</summary>
        private static bool? PinnedAllocKind(IInvocationOperation call, WellKnownTypes types) => HandleTypeOf(call, types) switch
        {
            PinnedHandleType => true,
            UnknownHandleType => false,
            _ => null,
        };

        /// <summary>
        /// The <c>GCHandleType</c> value <c>GCHandle.Alloc(x[, type])</c> allocates (Normal without a type),
        /// <see cref="UnknownHandleType"/> when the type is not a constant; null for any other call.
        /// </summary>
        public static int? HandleTypeOf(IInvocationOperation call, WellKnownTypes types)
        {
            if (call.TargetMethod.Name != "Alloc" || call.Arguments.Length is < 1 or > 2 || types.GCHandle == null
                || !SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, types.GCHandle))
            {
                return null;
            }

            if (call.Arguments.Length == 1 || call.Arguments[1].ArgumentKind == ArgumentKind.DefaultValue)
            {
                return NormalHandleType;
            }

            return call.Arguments[1].Value.ConstantValue is { HasValue: true, Value: int type } ? type : UnknownHandleType;
        }

        /// <summary>The pinned operand of a fixed initializer: <c>buffer</c> in <c>buffer</c>, <c>&amp;buffer[1]</c> or <c>&amp;s.Field</c>.</summary>
        private static IOperation PinnedOperand(IOperation value)
        {
            var current = value;
            while (true)
            {
                switch (current)
                {
                    case IConversionOperation conversion:
                        current = conversion.Operand;
                        continue;
                    case { Kind: OperationKind.None } when current.ChildOperations.Count == 1:
                        current = current.ChildOperations.First();
                        continue;
                    case IAddressOfOperation address:
                        current = address.Reference;
                        continue;
                    case IArrayElementReferenceOperation element:
                        current = element.ArrayReference;
                        continue;
                    default:
                        return current;
                }
            }
        }

        private static ISymbol? SymbolOf(IOperation operation) => OperationTree.SkipConversions(operation) switch
        {
            ILocalReferenceOperation local => local.Local,
            IParameterReferenceOperation parameter => parameter.Parameter,
            IFieldReferenceOperation field => field.Field,
            IPropertyReferenceOperation property => property.Property,
            _ => null,
        };

        private static string Display(IOperation operation) => OperationTree.SkipConversions(operation).Syntax.ToString();
    }
}
