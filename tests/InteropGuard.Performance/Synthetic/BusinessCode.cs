using System;
using System.Text;

namespace InteropGuard.Performance.Synthetic
{
    /// <summary>
    /// Plain business code with no interop at all: records, LINQ, async, collections, exceptions, formatting. Files come
    /// in groups of ten (one "module" per group); file <c>k</c> of a group uses only files <c>0..k-1</c> of its group.
    /// </summary>
    internal static class BusinessCode
    {
        private static readonly string[] Regions = { "North", "South", "East", "West", "Central", "Coastal", "Mountain" };

        public static string File(int index)
        {
            int group = index / 10;
            var random = new Random(unchecked(index * 6007 + 29));
            return (index % 10) switch
            {
                0 => Records(group, random),
                1 => Queries(group, random),
                2 => Repository(group, random),
                3 => Validation(group, random),
                4 => Reports(group, random),
                5 => Pricing(group, random),
                6 => AsyncService(group, random),
                7 => Events(group, random),
                8 => CsvImport(group, random),
                _ => Scheduling(group, random),
            };
        }

        public static string FileName(int index) => $"Module{index / 10:D3}/{KindName(index % 10)}.cs";

        private static string KindName(int kind) => kind switch
        {
            0 => "Records",
            1 => "OrderQueries",
            2 => "OrderRepository",
            3 => "OrderValidator",
            4 => "SalesReport",
            5 => "PricingRules",
            6 => "OrderService",
            7 => "OrderEvents",
            8 => "CsvImport",
            _ => "DeliverySchedule",
        };

        private static string Records(int group, Random random)
        {
            int extra = random.Next(4, 10);
            var properties = new StringBuilder();
            for (int i = 0; i < extra; i++)
            {
                properties.Append($"        public string? Note{i} {{ get; init; }}\n\n");
            }

            return $$"""
using System;
using System.Collections.Generic;
using System.Linq;

namespace Synthetic.Business.Module{{group}}
{
    public enum OrderStatus
    {
        Draft,
        Submitted,
        Paid,
        Shipped,
        Cancelled,
    }

    public sealed record Customer(int Id, string Name, string Region, DateTime Since)
    {
        public bool IsLongStanding(DateTime now) => (now - Since).TotalDays > 365 * 3;
    }

    public sealed record OrderLine(string Sku, int Quantity, decimal UnitPrice)
    {
        public decimal Total => Quantity * UnitPrice;
    }

    public sealed record Order(int Id, Customer Customer, DateTime Placed, OrderStatus Status, IReadOnlyList<OrderLine> Lines)
    {
        public decimal Total => Lines.Sum(line => line.Total);

        public int ItemCount => Lines.Sum(line => line.Quantity);

        public Order WithStatus(OrderStatus status) => this with { Status = status };
    }

    public sealed class OrderMetadata
    {
        public string Channel { get; init; } = "web";

        public string? Coupon { get; init; }

{{properties.ToString().TrimEnd()}}

        public override string ToString() => Coupon is null ? Channel : $"{Channel} ({Coupon})";
    }

    public readonly record struct Money(decimal Amount, string Currency)
    {
        public static Money Zero(string currency) => new Money(0m, currency);

        public Money Add(Money other)
        {
            if (other.Currency != Currency)
            {
                throw new InvalidOperationException($"Cannot add {other.Currency} to {Currency}.");
            }

            return new Money(Amount + other.Amount, Currency);
        }

        public override string ToString() => $"{Amount:0.00} {Currency}";
    }
}

""";
        }

        private static string Queries(int group, Random random)
        {
            int queries = random.Next(4, 8);
            var text = new StringBuilder();
            for (int i = 0; i < queries; i++)
            {
                string region = Regions[random.Next(Regions.Length)];
                int threshold = random.Next(10, 500);
                text.Append($$"""

        public static IReadOnlyList<(string Customer, decimal Total)> TopIn{{region}}{{i}}(IEnumerable<Order> orders, int count)
        {
            return orders
                .Where(order => order.Customer.Region == "{{region}}" && order.Status != OrderStatus.Cancelled)
                .GroupBy(order => order.Customer.Name)
                .Select(group => (Customer: group.Key, Total: group.Sum(order => order.Total)))
                .Where(entry => entry.Total > {{threshold}}m)
                .OrderByDescending(entry => entry.Total)
                .ThenBy(entry => entry.Customer, StringComparer.Ordinal)
                .Take(count)
                .ToList();
        }

""");
            }

            return $$"""
using System;
using System.Collections.Generic;
using System.Linq;

namespace Synthetic.Business.Module{{group}}
{
    public static class OrderQueries
    {
        public static decimal Revenue(IEnumerable<Order> orders, DateTime from, DateTime to) =>
            orders.Where(order => order.Placed >= from && order.Placed < to && order.Status == OrderStatus.Paid)
                .Sum(order => order.Total);

        public static Dictionary<string, int> UnitsBySku(IEnumerable<Order> orders) =>
            orders.SelectMany(order => order.Lines)
                .GroupBy(line => line.Sku)
                .ToDictionary(group => group.Key, group => group.Sum(line => line.Quantity));

        public static ILookup<OrderStatus, Order> ByStatus(IEnumerable<Order> orders) =>
            orders.ToLookup(order => order.Status);
{{text.ToString().TrimEnd()}}
    }
}

""";
        }

        private static string Repository(int group, Random random)
        {
            int indexes = random.Next(2, 5);
            var finders = new StringBuilder();
            for (int i = 0; i < indexes; i++)
            {
                finders.Append($$"""

        public IReadOnlyList<Order> FindPlacedWithin{{i}}(TimeSpan window, DateTime now)
        {
            lock (_gate)
            {
                return _orders.Values
                    .Where(order => now - order.Placed <= window)
                    .OrderBy(order => order.Placed)
                    .ToArray();
            }
        }

""");
            }

            return $$"""
using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;

namespace Synthetic.Business.Module{{group}}
{
    public sealed class OrderRepository
    {
        private readonly object _gate = new object();
        private readonly Dictionary<int, Order> _orders = new Dictionary<int, Order>();
        private readonly ConcurrentDictionary<int, Customer> _customers = new ConcurrentDictionary<int, Customer>();
        private readonly HashSet<string> _knownSkus = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        private int _nextId = 1;

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _orders.Count;
                }
            }
        }

        public Order Add(Customer customer, IReadOnlyList<OrderLine> lines, DateTime placed)
        {
            _customers.TryAdd(customer.Id, customer);
            lock (_gate)
            {
                var order = new Order(_nextId++, customer, placed, OrderStatus.Draft, lines);
                _orders.Add(order.Id, order);
                foreach (OrderLine line in lines)
                {
                    _knownSkus.Add(line.Sku);
                }

                return order;
            }
        }

        public bool TryGet(int id, out Order? order)
        {
            lock (_gate)
            {
                return _orders.TryGetValue(id, out order);
            }
        }

        public Order Update(int id, Func<Order, Order> change)
        {
            lock (_gate)
            {
                if (!_orders.TryGetValue(id, out Order? order))
                {
                    throw new KeyNotFoundException($"Order {id} does not exist.");
                }

                Order updated = change(order);
                _orders[id] = updated;
                return updated;
            }
        }

        public IEnumerable<Customer> Customers => _customers.Values.OrderBy(customer => customer.Id);

        public bool IsKnownSku(string sku) => _knownSkus.Contains(sku);
{{finders.ToString().TrimEnd()}}
    }
}

""";
        }

        private static string Validation(int group, Random random)
        {
            int limit = random.Next(20, 200);
            int checks = random.Next(4, 8);
            var rules = new StringBuilder();
            for (int i = 0; i < checks; i++)
            {
                rules.Append($$"""

        private static void CheckRule{{i}}(Order order, List<string> problems)
        {
            if (order.Lines.Count > {{limit + i * 10}})
            {
                problems.Add($"Order {order.Id} has too many lines ({order.Lines.Count}).");
            }
        }

""");
            }

            var calls = new StringBuilder();
            for (int i = 0; i < checks; i++)
            {
                calls.Append($"            CheckRule{i}(order, problems);\n");
            }

            return $$"""
using System;
using System.Collections.Generic;
using System.Linq;

namespace Synthetic.Business.Module{{group}}
{
    public sealed class OrderValidationException : Exception
    {
        public OrderValidationException(int orderId, IReadOnlyList<string> problems)
            : base($"Order {orderId} is invalid: {string.Join("; ", problems)}")
        {
            OrderId = orderId;
            Problems = problems;
        }

        public int OrderId { get; }

        public IReadOnlyList<string> Problems { get; }
    }

    public static class OrderValidator
    {
        public static void Validate(Order order)
        {
            ArgumentNullException.ThrowIfNull(order);
            var problems = new List<string>();
            if (order.Lines.Count == 0)
            {
                problems.Add("no lines");
            }

            foreach (OrderLine line in order.Lines.Where(line => line.Quantity <= 0 || line.UnitPrice < 0))
            {
                problems.Add($"line {line.Sku} has quantity {line.Quantity} and price {line.UnitPrice}");
            }

{{calls.ToString().TrimEnd()}}
            if (problems.Count > 0)
            {
                throw new OrderValidationException(order.Id, problems);
            }
        }

        public static bool TryValidate(Order order, out string? error)
        {
            try
            {
                Validate(order);
                error = null;
                return true;
            }
            catch (OrderValidationException exception)
            {
                error = exception.Message;
                return false;
            }
        }
{{rules.ToString().TrimEnd()}}
    }
}

""";
        }

        private static string Reports(int group, Random random)
        {
            int columns = random.Next(4, 9);
            var header = new StringBuilder();
            var cells = new StringBuilder();
            for (int i = 0; i < columns; i++)
            {
                header.Append($" | Column{i}");
                cells.Append($"                builder.Append(\" | \").Append((order.Total * {i + 1}m / {columns}m).ToString(\"N2\", culture));\n");
            }

            return $$"""
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace Synthetic.Business.Module{{group}}
{
    public static class SalesReport
    {
        public static string Render(IEnumerable<Order> orders, CultureInfo culture)
        {
            var builder = new StringBuilder();
            builder.AppendLine("Id | Customer | Placed | Total{{header}}");
            foreach (Order order in orders.OrderBy(order => order.Id))
            {
                builder.Append(order.Id.ToString(culture))
                    .Append(" | ")
                    .Append(order.Customer.Name)
                    .Append(" | ")
                    .Append(order.Placed.ToString("yyyy-MM-dd", culture))
                    .Append(" | ")
                    .Append(order.Total.ToString("C", culture));
{{cells.ToString().TrimEnd()}}
                builder.AppendLine();
            }

            return builder.ToString();
        }

        public static string Summary(IReadOnlyCollection<Order> orders)
        {
            if (orders.Count == 0)
            {
                return "No orders.";
            }

            decimal total = orders.Sum(order => order.Total);
            decimal average = total / orders.Count;
            Order largest = orders.MaxBy(order => order.Total)!;
            return string.Format(
                CultureInfo.InvariantCulture,
                "{0} orders, total {1:N2}, average {2:N2}, largest #{3} ({4:N2}) for {5}",
                orders.Count,
                total,
                average,
                largest.Id,
                largest.Total,
                largest.Customer.Name);
        }

        public static string Pad(string text, int width) =>
            text.Length >= width ? text.Substring(0, width) : text.PadRight(width, ' ');
    }
}

""";
        }

        private static string Pricing(int group, Random random)
        {
            int tiers = random.Next(6, 12);
            var arms = new StringBuilder();
            for (int i = 0; i < tiers; i++)
            {
                arms.Append($"                >= {(tiers - i) * 100} => {(tiers - i) * 2}m,\n");
            }

            return $$"""
using System;
using System.Collections.Generic;
using System.Linq;

namespace Synthetic.Business.Module{{group}}
{
    public abstract record Discount;

    public sealed record PercentageDiscount(decimal Percent) : Discount;

    public sealed record FixedDiscount(decimal Amount) : Discount;

    public sealed record NoDiscount : Discount;

    public static class PricingRules
    {
        public static decimal VolumePercent(int units) => units switch
        {
{{arms.ToString().TrimEnd()}}
            _ => 0m,
        };

        public static Discount For(Order order, DateTime now) => order switch
        {
            { Status: OrderStatus.Cancelled } => new NoDiscount(),
            { Customer: var customer } when customer.IsLongStanding(now) => new PercentageDiscount(5m + VolumePercent(order.ItemCount)),
            { Total: > 1000m } => new FixedDiscount(50m),
            _ => new PercentageDiscount(VolumePercent(order.ItemCount)),
        };

        public static decimal Apply(Order order, Discount discount) => discount switch
        {
            PercentageDiscount percentage => Math.Round(order.Total * (1 - percentage.Percent / 100m), 2),
            FixedDiscount fixedAmount => Math.Max(0m, order.Total - fixedAmount.Amount),
            _ => order.Total,
        };

        public static IReadOnlyDictionary<OrderStatus, decimal> NetByStatus(IEnumerable<Order> orders, DateTime now) =>
            orders.GroupBy(order => order.Status)
                .ToDictionary(group => group.Key, group => group.Sum(order => Apply(order, For(order, now))));

        public static string Explain(Discount discount) => discount switch
        {
            PercentageDiscount { Percent: 0m } => "no discount",
            PercentageDiscount percentage => $"{percentage.Percent}% off",
            FixedDiscount fixedAmount => $"{fixedAmount.Amount:0.00} off",
            NoDiscount => "not eligible",
            _ => throw new ArgumentOutOfRangeException(nameof(discount), discount, "Unknown discount."),
        };

        public static IEnumerable<(Order Order, decimal Saved)> Savings(IEnumerable<Order> orders, DateTime now)
        {
            foreach (Order order in orders)
            {
                decimal net = Apply(order, For(order, now));
                if (net < order.Total)
                {
                    yield return (order, order.Total - net);
                }
            }
        }
    }
}

""";
        }

        private static string AsyncService(int group, Random random)
        {
            int batches = random.Next(2, 5);
            var methods = new StringBuilder();
            for (int i = 0; i < batches; i++)
            {
                methods.Append($$"""

        public async Task<int> SubmitBatch{{i}}Async(IEnumerable<int> ids, CancellationToken cancellationToken)
        {
            var tasks = ids.Select(id => SubmitAsync(id, cancellationToken)).ToList();
            Order[] submitted = await Task.WhenAll(tasks).ConfigureAwait(false);
            return submitted.Count(order => order.Status == OrderStatus.Submitted) + {{i}};
        }

""");
            }

            return $$"""
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;

namespace Synthetic.Business.Module{{group}}
{
    public interface IPaymentGateway
    {
        Task<bool> ChargeAsync(int customerId, decimal amount, CancellationToken cancellationToken);
    }

    public sealed class OrderService
    {
        private readonly OrderRepository _repository;
        private readonly IPaymentGateway _payments;
        private readonly SemaphoreSlim _throttle = new SemaphoreSlim(4);

        public OrderService(OrderRepository repository, IPaymentGateway payments)
        {
            _repository = repository ?? throw new ArgumentNullException(nameof(repository));
            _payments = payments ?? throw new ArgumentNullException(nameof(payments));
        }

        public async Task<Order> SubmitAsync(int id, CancellationToken cancellationToken)
        {
            await _throttle.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!_repository.TryGet(id, out Order? order) || order is null)
                {
                    throw new KeyNotFoundException($"Order {id} not found.");
                }

                OrderValidator.Validate(order);
                await Task.Yield();
                return _repository.Update(id, current => current.WithStatus(OrderStatus.Submitted));
            }
            finally
            {
                _throttle.Release();
            }
        }

        public async Task<bool> PayAsync(int id, CancellationToken cancellationToken)
        {
            Order order = await SubmitAsync(id, cancellationToken).ConfigureAwait(false);
            decimal amount = PricingRules.Apply(order, PricingRules.For(order, DateTime.UtcNow));
            bool charged = await _payments.ChargeAsync(order.Customer.Id, amount, cancellationToken).ConfigureAwait(false);
            if (charged)
            {
                _repository.Update(id, current => current.WithStatus(OrderStatus.Paid));
            }

            return charged;
        }
{{methods.ToString().TrimEnd()}}
    }
}

""";
        }

        private static string Events(int group, Random random)
        {
            int handlers = random.Next(4, 8);
            var raise = new StringBuilder();
            for (int i = 0; i < handlers; i++)
            {
                raise.Append($$"""

        public void RaiseStep{{i}}(Order order)
        {
            StatusChanged?.Invoke(this, new OrderEventArgs(order, "step{{i}}"));
        }

""");
            }

            return $$"""
using System;
using System.Collections.Generic;

namespace Synthetic.Business.Module{{group}}
{
    public sealed class OrderEventArgs : EventArgs
    {
        public OrderEventArgs(Order order, string reason)
        {
            Order = order;
            Reason = reason;
        }

        public Order Order { get; }

        public string Reason { get; }
    }

    public sealed class OrderEvents
    {
        private readonly List<string> _log = new List<string>();

        public event EventHandler<OrderEventArgs>? StatusChanged;

        public IReadOnlyList<string> Log => _log;

        public IDisposable Subscribe(Action<Order> onChange)
        {
            EventHandler<OrderEventArgs> handler = (sender, args) => onChange(args.Order);
            StatusChanged += handler;
            return new Subscription(() => StatusChanged -= handler);
        }

        public void Publish(Order order, string reason)
        {
            _log.Add($"{DateTime.UtcNow:O} {order.Id} {reason}");
            StatusChanged?.Invoke(this, new OrderEventArgs(order, reason));
        }
{{raise.ToString().TrimEnd()}}

        private sealed class Subscription : IDisposable
        {
            private Action? _unsubscribe;

            public Subscription(Action unsubscribe) => _unsubscribe = unsubscribe;

            public void Dispose()
            {
                _unsubscribe?.Invoke();
                _unsubscribe = null;
            }
        }
    }
}

""";
        }

        private static string CsvImport(int group, Random random)
        {
            int columns = random.Next(6, 11);
            var reads = new StringBuilder();
            for (int i = 3; i < columns; i++)
            {
                reads.Append($"                string extra{i} = fields.Length > {i} ? fields[{i}].Trim() : string.Empty;\n");
                reads.Append($"                if (extra{i}.Length > 64)\n                {{\n                    errors.Add($\"line {{lineNumber}}: column {i} too long\");\n                }}\n\n");
            }

            return $$"""
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace Synthetic.Business.Module{{group}}
{
    public static class CsvImport
    {
        public static (List<OrderLine> Lines, List<string> Errors) ReadLines(TextReader reader)
        {
            var lines = new List<OrderLine>();
            var errors = new List<string>();
            int lineNumber = 0;
            string? text;
            while ((text = reader.ReadLine()) != null)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(text) || text.StartsWith('#'))
                {
                    continue;
                }

                string[] fields = text.Split(',');
                if (fields.Length < 3)
                {
                    errors.Add($"line {lineNumber}: expected 3 fields, found {fields.Length}");
                    continue;
                }

                if (!int.TryParse(fields[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int quantity))
                {
                    errors.Add($"line {lineNumber}: bad quantity '{fields[1]}'");
                    continue;
                }

                if (!decimal.TryParse(fields[2], NumberStyles.Number, CultureInfo.InvariantCulture, out decimal price))
                {
                    errors.Add($"line {lineNumber}: bad price '{fields[2]}'");
                    continue;
                }

{{reads.ToString().TrimEnd()}}
                lines.Add(new OrderLine(fields[0].Trim(), quantity, price));
            }

            return (lines, errors);
        }

        public static string Write(IEnumerable<OrderLine> lines)
        {
            using var writer = new StringWriter(CultureInfo.InvariantCulture);
            foreach (OrderLine line in lines)
            {
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{line.Sku},{line.Quantity},{line.UnitPrice}"));
            }

            return writer.ToString();
        }
    }
}

""";
        }

        private static string Scheduling(int group, Random random)
        {
            int slots = random.Next(4, 10);
            var slotText = new StringBuilder();
            for (int i = 0; i < slots; i++)
            {
                slotText.Append($"            yield return start.Date.AddHours({8 + i * 2});\n");
            }

            return $$"""
using System;
using System.Collections.Generic;
using System.Linq;

namespace Synthetic.Business.Module{{group}}
{
    public sealed class DeliverySchedule
    {
        private readonly PriorityQueue<Order, DateTime> _queue = new PriorityQueue<Order, DateTime>();
        private readonly OrderEvents _events;

        public DeliverySchedule(OrderEvents events) => _events = events;

        public int Pending => _queue.Count;

        public void Enqueue(Order order, TimeSpan leadTime)
        {
            if (order.Status != OrderStatus.Paid)
            {
                throw new InvalidOperationException($"Order {order.Id} is {order.Status}, not paid.");
            }

            _queue.Enqueue(order, order.Placed + leadTime);
        }

        public IEnumerable<Order> Due(DateTime now)
        {
            while (_queue.TryPeek(out Order? order, out DateTime due) && due <= now)
            {
                _queue.Dequeue();
                _events.Publish(order, "due");
                yield return order.WithStatus(OrderStatus.Shipped);
            }
        }

        public static IEnumerable<DateTime> Slots(DateTime start)
        {
{{slotText.ToString().TrimEnd()}}
        }

        public static DateTime NextSlot(DateTime now) =>
            Slots(now).Concat(Slots(now.AddDays(1))).First(slot => slot > now);

        public IReadOnlyList<Order> Drain()
        {
            var drained = new List<Order>(_queue.Count);
            while (_queue.TryDequeue(out Order? order, out _))
            {
                drained.Add(order);
            }

            return drained;
        }

        public static Dictionary<DayOfWeek, int> LoadByDay(IEnumerable<Order> orders) =>
            orders.GroupBy(order => order.Placed.DayOfWeek)
                .OrderBy(group => group.Key)
                .ToDictionary(group => group.Key, group => group.Count());

        public static TimeSpan Average(IEnumerable<TimeSpan> durations)
        {
            var list = durations.ToList();
            return list.Count == 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)list.Average(duration => duration.Ticks));
        }
    }
}

""";
        }
    }
}
